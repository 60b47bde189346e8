package lazyfree

import (
	"slices"
	"testing"
)

func TestChosen(t *testing.T) {
	for godebug, want := range map[string]bool{
		"":                              false,
		"gctrace=1":                     false,
		"madvdontneed=0":                true,
		"madvdontneed=1":                true,
		"gctrace=1, madvdontneed=1":     true,
		"gctrace=1,madvdontneedx=1":     false,
		"http2client=0,madvdontneed=0,": true,
	} {
		if got := Chosen(godebug); got != want {
			t.Errorf("Chosen(%q) = %v, want %v", godebug, got, want)
		}
	}
}

func TestWithSetting(t *testing.T) {
	cases := []struct{ in, want []string }{
		{[]string{"HOME=/root"}, []string{"HOME=/root", "GODEBUG=madvdontneed=0"}},
		{[]string{"GODEBUG=", "A=b"}, []string{"GODEBUG=madvdontneed=0", "A=b"}},
		{[]string{"A=b", "GODEBUG=gctrace=1"}, []string{"A=b", "GODEBUG=gctrace=1,madvdontneed=0"}},
		{nil, []string{"GODEBUG=madvdontneed=0"}},
	}
	for _, c := range cases {
		if got := WithSetting(c.in); !slices.Equal(got, c.want) {
			t.Errorf("WithSetting(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
