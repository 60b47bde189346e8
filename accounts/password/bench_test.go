package password

import "testing"

func BenchmarkHash(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Hash("Gravel-Truck-42x"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, err := Hash("Gravel-Truck-42x")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := Verify(h, "Gravel-Truck-42x"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkVerifyDummy(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		VerifyDummy("Gravel-Truck-42x")
	}
}

func BenchmarkCheck(b *testing.B) {
	common() // build the list outside the timing
	cases := []struct{ name, pw string }{
		{"valid", "Gravel-Truck-42x"},
		{"common", "Password123!"},
		{"unicode", "Zü9rich-Wasser-Turm"},
		{"256", string(make256())},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Check(c.pw, "tech.bob", "tech.bob@example.com")
			}
		})
	}
}

// BenchmarkCommonList measures building the common-password set, which
// happens once per process.
func BenchmarkCommonList(b *testing.B) {
	list := len(common())
	b.ReportAllocs()
	for b.Loop() {
		set := make(map[string]struct{}, list)
		for p := range common() {
			set[p] = struct{}{}
		}
	}
}

func make256() []byte {
	out := make([]byte, 0, 256)
	for len(out) < 256 {
		out = append(out, "Xy7-"...)
	}
	return out
}
