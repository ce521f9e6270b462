package ops

import (
	"math"

	"github.com/viterin/vek/vek32"
)

// actChunk is how many elements the float32 activation kernels take at a
// time: their scratch lives on the stack and stays in the L1 cache.
const actChunk = 256 // a multiple of 32, see padVek

// vekAccel reports whether vek runs its AVX2 kernels on this CPU; it is set
// once at start-up and only read.
var vekAccel = vek32.Info().Acceleration

// act32 applies the activation a to x in float32 and reports whether it has
// a float32 kernel for a; out may be x itself. The kernels take chunks of
// actChunk elements through vek's AVX2 exp and log (float64 math.Exp and
// math.Log where the CPU lacks AVX2 or FMA) and vek's vector arithmetic,
// with branch-free selections by sign bits. Each is within a few ulp of the
// float64 activation, gives 0 where the exact result would be below
// exp(expFloor32) ≈ 1.6e-38 (no subnormal outputs), and returns NaN for
// NaN. They replace per-element float64 or scalar float32 exp and log
// calls, which took ~22 % of the float32 training step of
// specs/mnist-m1m2.ssdgm (softplus everywhere).
func act32(a Act, out, x []float32) bool {
	switch a {
	case Softplus:
		softplus32(out, x, vekAccel)
	case Sigmoid:
		sigmoid32(out, x, vekAccel)
	case Tanh:
		tanh32(out, x, vekAccel)
	case ELU:
		elu32(out, x, vekAccel)
	default:
		return false
	}
	return true
}

// actGrad32 is dx = g ⊙ a'(x) from the output y for the activations whose
// float32 gradient needs more than a multiply-add per element (softplus's
// exp, ELU's branch on the sign), and reports whether it had a kernel.
func actGrad32(a Act, dx, y, g []float32) bool {
	switch a {
	case Softplus:
		softplusGrad32(dx, y, g, vekAccel)
	case ELU:
		eluGrad32(dx, y, g)
	default:
		return false
	}
	return true
}

// signMask32 is all ones where v's sign bit is set, else zero.
func signMask32(v float32) uint32 { return uint32(int32(math.Float32bits(v)) >> 31) }

// sel32 is a where the mask m is all ones and b where it is zero, without
// a branch (m comes from signMask32).
func sel32(m uint32, a, b float32) float32 {
	return math.Float32frombits(math.Float32bits(a)&m | math.Float32bits(b)&^m)
}

// exp32 is e = exp(e) element-wise: vek's AVX2 kernel (about 1 ulp) when
// accel is set, and float64 math.Exp otherwise (vek's own fallback,
// math32.Exp, is up to ~100 ulp off).
func exp32(e []float32, accel bool) { vecMath32(e, accel, vek32.Exp_Inplace, math.Exp) }

// log32 is l = log(l) element-wise for l > 0, as exp32 does exp.
func log32(l []float32, accel bool) { vecMath32(l, accel, vek32.Log_Inplace, math.Log) }

// vecMath32 applies vek's kernel vk to x when accel is set, and f in
// float64 to the elements vk did not take: all of them otherwise, and the
// last len%8 (the kernels pass multiples of 32, see padVek), which vek would
// leave to math32.
func vecMath32(x []float32, accel bool, vk func([]float32), f func(float64) float64) {
	n := 0
	if accel {
		n = len(x) &^ 7
		vk(x[:n])
	}
	for j, v := range x[n:] {
		x[n+j] = float32(f(float64(v)))
	}
}

// padVek is n rounded up to a multiple of 32. The kernels run vek on
// chunks of that length, the padding set to an argument harmless to every
// step (0), so that no element takes one of vek's scalar tails, which round
// differently: its AVX2 division and reciprocal are VRCPPS and a Newton
// step over blocks of 32 elements and exact on the rest, its exp and log
// leave the last len%8 to math32. Otherwise a result would depend on where
// its element falls in a chunk.
func padVek(n int) int { return (n + 31) &^ 31 }

// tiny32 is added to both sides of a quotient that is 0/0 exactly where
// it should be 1 (log(u)/(u − 1) at u = 1): far below the smallest nonzero
// value of either side (about 6e-8), it changes no other quotient.
const tiny32 = 1e-30

// flushExp32 turns an exp argument below expFloor32 into −Inf, whose exp
// is 0 (in vek too), so that results that would be below exp(expFloor32)
// flush to 0 without a mask; the branch is almost never taken.
func flushExp32(v float32) float32 {
	if v < expFloor32 {
		return float32(math.Inf(-1))
	}
	return v
}

// clampExp32 raises an exp argument to expFloor32 (NaN stays NaN).
func clampExp32(v float32) float32 {
	if v < expFloor32 {
		return expFloor32
	}
	return v
}

// log1pChunk sets e = log(1 + e) for e in {0} ∪ [exp(expFloor32), 1]: vek's
// log of u = 1 + e times e/(u − 1) (Goldberg's log1p: the quotient restores
// the bits of e lost in rounding 1 + e), e itself where 1 + e rounds to 1
// (by tiny32). All of it runs on vek's AVX2 kernels: their sums and
// products round as Go's float32 operations do, their quotient is a
// reciprocal refined by one Newton step (about 1 ulp).
func log1pChunk(e []float32, accel bool) {
	var ub, lb [actChunk]float32
	u, lg := ub[:len(e)], lb[:len(e)]
	vek32.AddNumber_Into(u, e, 1)
	copy(lg, u)
	log32(lg, accel)
	vek32.SubNumber_Inplace(u, 1) // u − 1, exact
	vek32.AddNumber_Inplace(u, tiny32)
	vek32.AddNumber_Inplace(lg, tiny32)
	vek32.Div_Inplace(lg, u)
	vek32.Mul_Inplace(e, lg)
}

// expm1Chunk sets m = exp(z) − 1 for z in [expFloor32, 88], and e =
// exp(z): z·(e − 1)/log(e) (Kahan's expm1: the quotient cancels the
// rounding error of e − 1 near z = 0), which is z where e rounds to 1 (by
// tiny32). It runs on vek as log1pChunk does.
func expm1Chunk(m, e, z []float32, accel bool) {
	var lb [actChunk]float32
	lg := lb[:len(z)]
	copy(e, z)
	exp32(e, accel)
	copy(lg, e)
	log32(lg, accel)
	vek32.SubNumber_Into(m, e, 1)
	vek32.SubNumber_Inplace(m, tiny32)
	vek32.SubNumber_Inplace(lg, tiny32)
	vek32.Div_Inplace(m, lg)
	vek32.Mul_Inplace(m, z)
}

// expm1Fix32 is a result m of expm1Chunk refined from its e: e − 1 itself
// where e < 0.5, more accurate there (no cancellation) than Kahan's
// quotient, whose log costs up to ~3.5 ulp.
func expm1Fix32(m, e float32) float32 { return sel32(signMask32(e-0.5), e-1, m) }

// softplus32 is out = max(x, 0) + log(1 + exp(−|x|)), with the maximum
// taken from the sign bit rather than a branch that random signs would
// mispredict; below expFloor32 it is 0.
func softplus32(out, x []float32, accel bool) {
	var eb [actChunk]float32
	for j0 := 0; j0 < len(x); j0 += actChunk {
		xs := x[j0:min(j0+actChunk, len(x))]
		os, e := out[j0:j0+len(xs)], eb[:padVek(len(xs))]
		clear(e[len(xs):])
		for j, v := range xs {
			e[j] = flushExp32(-abs32(v))
		}
		exp32(e, accel)
		log1pChunk(e, accel)
		for j, v := range xs {
			r := math.Float32frombits(math.Float32bits(v)&^signMask32(v)) + e[j]
			if v != v {
				r = v
			}
			os[j] = r
		}
	}
}

// softplusGrad32 is dx = g·sigmoid(x) from y = softplus(x), as
// sigmoid(x) = 1 − exp(−y) = −expm1(−y), accurate also for small y, where
// 1 − exp(−y) alone would cancel.
func softplusGrad32(dx, y, g []float32, accel bool) {
	var zb, mb, eb [actChunk]float32
	for j0 := 0; j0 < len(y); j0 += actChunk {
		ys := y[j0:min(j0+actChunk, len(y))]
		ds, gs := dx[j0:j0+len(ys)], g[j0:j0+len(ys)]
		n := padVek(len(ys))
		z, m, e := zb[:n], mb[:n], eb[:n]
		clear(z[len(ys):])
		for j, v := range ys {
			z[j] = clampExp32(-v)
		}
		expm1Chunk(m, e, z, accel)
		for j, v := range ys {
			r := gs[j] * -expm1Fix32(m[j], e[j])
			if v != v {
				r = v
			}
			ds[j] = r
		}
	}
}

// sigmoid32 is out = 1/(1 + e) for x ≥ 0 and e/(1 + e) below, with e =
// exp(−|x|), chosen by the sign bit; below expFloor32 it is 0.
func sigmoid32(out, x []float32, accel bool) {
	var eb, ib [actChunk]float32
	for j0 := 0; j0 < len(x); j0 += actChunk {
		xs := x[j0:min(j0+actChunk, len(x))]
		os, e, inv := out[j0:j0+len(xs)], eb[:padVek(len(xs))], ib[:padVek(len(xs))]
		clear(e[len(xs):])
		for j, v := range xs {
			e[j] = flushExp32(-abs32(v))
		}
		exp32(e, accel)
		vek32.AddNumber_Into(inv, e, 1)
		vek32.Inv_Inplace(inv)
		vek32.Mul_Inplace(e, inv)
		for j, v := range xs {
			s := sel32(signMask32(v), e[j], inv[j])
			if v != v {
				s = v
			}
			os[j] = s
		}
	}
}

// tanh32 is out = sign(x)·(−m/(2 + m)) with m = expm1(−2|x|), which is
// tanh(|x|) without cancellation for small |x|.
func tanh32(out, x []float32, accel bool) {
	var zb, mb, eb [actChunk]float32
	for j0 := 0; j0 < len(x); j0 += actChunk {
		xs := x[j0:min(j0+actChunk, len(x))]
		os := out[j0 : j0+len(xs)]
		n := padVek(len(xs))
		z, m, e := zb[:n], mb[:n], eb[:n]
		clear(z[len(xs):])
		for j, v := range xs {
			z[j] = clampExp32(-2 * abs32(v))
		}
		expm1Chunk(m, e, z, accel)
		for j, v := range xs {
			mj := expm1Fix32(m[j], e[j])
			t := -mj / (2 + mj)
			r := math.Float32frombits(math.Float32bits(t) | math.Float32bits(v)&(1<<31))
			if v != v {
				r = v
			}
			os[j] = r
		}
	}
}

// elu32 is out = x for x ≥ +0 and expm1(x) for x ≤ −0, chosen by the sign
// bit.
func elu32(out, x []float32, accel bool) {
	var zb, mb, eb [actChunk]float32
	for j0 := 0; j0 < len(x); j0 += actChunk {
		xs := x[j0:min(j0+actChunk, len(x))]
		os := out[j0 : j0+len(xs)]
		n := padVek(len(xs))
		z, m, e := zb[:n], mb[:n], eb[:n]
		clear(z[len(xs):])
		for j, v := range xs {
			z[j] = clampExp32(math.Float32frombits(math.Float32bits(v) & signMask32(v)))
		}
		expm1Chunk(m, e, z, accel)
		for j, v := range xs {
			r := sel32(signMask32(v), expm1Fix32(m[j], e[j]), v)
			if v != v {
				r = v
			}
			os[j] = r
		}
	}
}

// eluGrad32 is dx = g where y > 0 and g·(y + 1) elsewhere, the ELU
// gradient from its output, chosen by the sign bit of y (y = +0 gives g
// both ways).
func eluGrad32(dx, y, g []float32) {
	for j, v := range y {
		r := g[j] * sel32(signMask32(v), v+1, 1)
		if v != v {
			r = v
		}
		dx[j] = r
	}
}
