package password

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
)

// commonListName is the key of the leaked-password list among the frequency
// lists that zxcvbn ships (30,000 passwords, most used first, lower-case).
const commonListName = "passwords"

// Affix stripping: a listed password with a few digits or symbols added in
// front or behind ("password123!", "!qwerty1") is still a listed password.
const (
	// maxAffix is the most code points stripped in all.
	maxAffix = 4
	// minBase is the fewest code points left after stripping for the rest
	// to count as a listed password.
	minBase = 4
)

var (
	commonOnce sync.Once
	commonSet  map[string]struct{}
)

// common returns the set of common passwords, lower-cased, building it on
// first use.
func common() map[string]struct{} {
	commonOnce.Do(func() {
		list := frequency.FrequencyLists[commonListName]
		set := make(map[string]struct{}, len(list))
		for _, p := range list {
			set[strings.ToLower(p)] = struct{}{}
		}
		commonSet = set
	})
	return commonSet
}

// CommonCount returns how many distinct passwords the common-password list
// holds.
func CommonCount() int { return len(common()) }

// isCommon reports whether the lower-cased password s is a commonly used
// password: it is on the list, or it is on the list once at most maxAffix
// digits or symbols are taken off its ends and at least minBase code points
// remain. Letters are never stripped, so a long passphrase that merely
// contains a listed word is not common.
func isCommon(s string) bool {
	set := common()
	if _, ok := set[s]; ok {
		return true
	}

	// starts[i] is the byte offset after stripping i leading non-letters,
	// ends[j] the byte offset before j trailing non-letters.
	var starts, ends [maxAffix + 1]int
	nStarts, nEnds := 1, 1
	starts[0], ends[0] = 0, len(s)
	for i := 0; nStarts <= maxAffix && i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) {
			break
		}
		i += size
		starts[nStarts] = i
		nStarts++
	}
	for j := len(s); nEnds <= maxAffix && j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		if unicode.IsLetter(r) {
			break
		}
		j -= size
		ends[nEnds] = j
		nEnds++
	}

	for i := 0; i < nStarts; i++ {
		for j := 0; j < nEnds && i+j <= maxAffix; j++ {
			if i+j == 0 || starts[i] >= ends[j] {
				continue
			}
			base := s[starts[i]:ends[j]]
			if utf8.RuneCountInString(base) < minBase {
				continue
			}
			if _, ok := set[base]; ok {
				return true
			}
		}
	}
	return false
}
