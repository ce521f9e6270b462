//go:build !amd64 || purego

package ops

// haveAVX2 is false where simd_amd64.s is not built: the Go loops run.
const haveAVX2 = false

func relu32(out, x *float32, n int)                    { panic("ops: no AVX2 kernels in this build") }
func reluGrad32(dx, y, gr *float32, n int)             { panic("ops: no AVX2 kernels in this build") }
func bernPrep32(e, l *float32, n int, floor float32)   { panic("ops: no AVX2 kernels in this build") }
func bernTerms32(t *float64, l, x, lg *float32, n int) { panic("ops: no AVX2 kernels in this build") }
func bernResid32(r, x, l, e *float32, n int)           { panic("ops: no AVX2 kernels in this build") }
func add32(out, x, y *float32, n int)                  { panic("ops: no AVX2 kernels in this build") }
func scale32(out, x *float32, s float32, n int)        { panic("ops: no AVX2 kernels in this build") }
