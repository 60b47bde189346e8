// Package lazyfree starts a program again so that, on Linux, the Go runtime
// hands freed heap memory back to the kernel with MADV_FREE rather than
// MADV_DONTNEED (GODEBUG=madvdontneed=0).
//
// Every password hash allocates 19 MiB and drops it. Pages given back with
// MADV_DONTNEED are gone: the next hash faults them in again, a hundred or
// more faults per sign-in, and the faults of two hashes on two cores hold
// each other up. Pages given back with MADV_FREE stay in place until the
// kernel needs the memory, so a busy server reuses them without a fault
// (BENCHMARKS.md, "Sign-in"). The kernel still takes them back under
// memory pressure; they show as resident until it does.
//
// The runtime reads the setting only as the process starts, and a
// //go:debug directive cannot carry it, hence the second start.
package lazyfree

import (
	"os"
	"runtime"
	"strings"
	"syscall"
)

// setting is the GODEBUG entry that selects MADV_FREE.
const setting = "madvdontneed=0"

// Exec replaces the process with the same program, arguments and
// environment plus GODEBUG=madvdontneed=0. It returns, doing nothing, off
// Linux or when GODEBUG already chooses madvdontneed either way; otherwise
// it returns only the error of an exec that failed, and the caller goes on
// as it is.
func Exec() error {
	godebug, _ := os.LookupEnv("GODEBUG")
	if runtime.GOOS != "linux" || Chosen(godebug) {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(exe, os.Args, WithSetting(os.Environ()))
}

// Chosen reports whether a GODEBUG value sets madvdontneed.
func Chosen(godebug string) bool {
	for _, field := range strings.Split(godebug, ",") {
		if strings.HasPrefix(strings.TrimSpace(field), "madvdontneed=") {
			return true
		}
	}
	return false
}

// WithSetting is environ with madvdontneed=0 added to GODEBUG (which is
// created if absent).
func WithSetting(environ []string) []string {
	out := make([]string, 0, len(environ)+1)
	found := false
	for _, kv := range environ {
		if value, ok := strings.CutPrefix(kv, "GODEBUG="); ok && !found {
			found = true
			if value == "" {
				kv = "GODEBUG=" + setting
			} else {
				kv = "GODEBUG=" + value + "," + setting
			}
		}
		out = append(out, kv)
	}
	if !found {
		out = append(out, "GODEBUG="+setting)
	}
	return out
}
