package ops

import "math"

// The float32 element-wise kernels below run their whole groups of 8 on
// the AVX2 kernels of simd_amd64.s where the CPU has AVX2, and the rest
// (and everything on other CPUs) on the Go loops beside them, which define
// the results: the assembly does the same IEEE operations per element, so
// both give the same bits (TestSIMDKernelsBitsAsGo). On the MNIST step they
// replace loops that took about a fifth of the pure-Go step's CPU time.

// avx2Len is how many leading elements of n the AVX2 kernels take: a
// multiple of 8, or none without AVX2.
func avx2Len(n int) int {
	if !haveAVX2 {
		return 0
	}
	return n &^ 7
}

// relu32s is out = x with negative values (−0 included) set to +0 and NaN
// kept: Go's max(x, 0) to the bit.
func relu32s(out, x []float32) {
	out = out[:len(x)]
	n := avx2Len(len(x))
	if n > 0 {
		relu32(&out[0], &x[0], n)
	}
	reluGo32(out[n:], x[n:])
}

func reluGo32(out, x []float32) {
	for i, v := range x {
		b := math.Float32bits(v)
		r := b &^ uint32(int32(b)>>31)
		if v != v {
			r = b
		}
		out[i] = math.Float32frombits(r)
	}
}

// reluGrad32s is dx = g where y > 0 (+Inf included) and +0 elsewhere (NaN
// y included).
func reluGrad32s(dx, y, g []float32) {
	dx, g = dx[:len(y)], g[:len(y)]
	n := avx2Len(len(y))
	if n > 0 {
		reluGrad32(&dx[0], &y[0], &g[0], n)
	}
	reluGradGo32(dx[n:], y[n:], g[n:])
}

func reluGradGo32(dx, y, g []float32) {
	for i, v := range y {
		// As an integer, y's bits lie in (0, +Inf] exactly when y > 0.
		b := int64(int32(math.Float32bits(v)))
		pos := uint64(-b) >> 63
		fin := uint64(b-0x7f800001) >> 63
		m := uint32(-(pos & fin))
		dx[i] = math.Float32frombits(math.Float32bits(g[i]) & m)
	}
}

// bernPrep32s sets e = max(expFloor32, −|l|) (NaN l gives NaN), the
// argument of bernFwd32's exp.
func bernPrep32s(e, l []float32) {
	e = e[:len(l)]
	n := avx2Len(len(l))
	if n > 0 {
		bernPrep32(&e[0], &l[0], n, expFloor32)
	}
	for j, v := range l[n:] {
		v = -abs32(v)
		if v < expFloor32 {
			v = expFloor32
		}
		e[n+j] = v
	}
}

// bernTerms32s sets t = x·l − (lg + max(l, 0)) per element in float64,
// with lg = log(1 + exp(−|l|)): the Bernoulli log-likelihood's terms.
func bernTerms32s(t []float64, l, x, lg []float32) {
	t, x, lg = t[:len(l)], x[:len(l)], lg[:len(l)]
	n := avx2Len(len(l))
	if n > 0 {
		bernTerms32(&t[0], &l[0], &x[0], &lg[0], n)
	}
	for j := n; j < len(l); j++ {
		// 0.5(l + |l|) is max(l, 0) exactly, without a branch that the
		// signs of the logits would mispredict.
		l64 := float64(l[j])
		t[j] = float64(x[j])*l64 - (float64(lg[j]) + 0.5*(l64+math.Abs(l64)))
	}
}

// bernResid32s sets r = x − sigmoid(l) per element, from e = exp(−|l|):
// sigmoid(l) is 1/(1+e) for l ≥ 0 and e/(1+e) below, chosen by the sign
// bit of l without a branch.
func bernResid32s(r, x, l, e []float32) {
	r, x, e = r[:len(l)], x[:len(l)], e[:len(l)]
	n := avx2Len(len(l))
	if n > 0 {
		bernResid32(&r[0], &x[0], &l[0], &e[0], n)
	}
	for j := n; j < len(l); j++ {
		ev := e[j]
		inv := 1 / (1 + ev)
		neg := uint32(int32(math.Float32bits(l[j])) >> 31)
		sig := math.Float32frombits(math.Float32bits(inv)&^neg | math.Float32bits(inv*ev)&neg)
		r[j] = x[j] - sig
	}
}

// add32s is out = x + y, element by element, in one pass over out.
func add32s(out, x, y []float32) {
	out, y = out[:len(x)], y[:len(x)]
	n := avx2Len(len(x))
	if n > 0 {
		add32(&out[0], &x[0], &y[0], n)
	}
	for i := n; i < len(x); i++ {
		out[i] = x[i] + y[i]
	}
}

// scale32s is out = s·x, element by element, in one pass over out.
func scale32s(out, x []float32, s float32) {
	out = out[:len(x)]
	n := avx2Len(len(x))
	if n > 0 {
		scale32(&out[0], &x[0], s, n)
	}
	for i := n; i < len(x); i++ {
		out[i] = s * x[i]
	}
}
