package diag

import "strings"

// Closest returns the candidate nearest to name by edit distance, or "" when
// none is close enough to be a plausible typo (distance at most a third of
// the name's length, and at least 1). Every "did you mean" of the project
// (spec names, verbs, datasets, config keys and values) goes through it, so
// they all behave alike.
func Closest(name string, candidates []string) string {
	return ClosestWithin(name, candidates, Limit(name))
}

// Limit is the largest edit distance at which Closest takes a candidate
// for a misspelling of name: a third of its length, at least 1.
func Limit(name string) int { return max(1, len([]rune(name))/3) }

// ClosestWithin is Closest with the largest accepted distance given, for
// names whose typo budget depends on only a part of them (the last name of
// a dotted config key). Case differences count 0; ties go to the
// alphabetically first candidate.
func ClosestWithin(name string, candidates []string, limit int) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if c == name || c == "" {
			continue
		}
		d := distance(strings.ToLower(name), strings.ToLower(c))
		if strings.EqualFold(c, name) {
			d = 0
		}
		if d <= limit && (bestD < 0 || d < bestD || (d == bestD && c < best)) {
			best, bestD = c, d
		}
	}
	return best
}

// DidYouMean returns "did you mean `x`?" for the closest candidate, or "".
func DidYouMean(name string, candidates []string) string {
	if c := Closest(name, candidates); c != "" {
		return "did you mean `" + c + "`?"
	}
	return ""
}

// distance is the optimal-string-alignment edit distance (insertions,
// deletions, substitutions and adjacent transpositions each cost 1).
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
