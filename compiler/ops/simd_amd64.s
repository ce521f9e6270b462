//go:build amd64 && !purego

#include "textflag.h"

// The AVX2 kernels of simd.go. Each takes n, a multiple of 8, and does
// exactly the IEEE operations of the Go loop it replaces, element by
// element, so that the results are the same to the bit.

// func relu32(out, x *float32, n int)
//
// out = x with negative values (−0 included, NaN not) set to +0: the bits of x
// and-not their arithmetic sign mask, unless x is NaN.
TEXT ·relu32(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   rdone

rloop:
	VMOVUPS  (SI), Y0
	VPSRAD   $31, Y0, Y1
	VCMPPS   $7, Y0, Y0, Y2 // ordered: not NaN
	VPAND    Y2, Y1, Y1
	VPANDN   Y0, Y1, Y0     // Y0 = ¬Y1 ∧ Y0
	VMOVUPS  Y0, (DI)
	ADDQ     $32, SI
	ADDQ     $32, DI
	DECQ     CX
	JNZ      rloop

rdone:
	VZEROUPPER
	RET

// func reluGrad32(dx, y, gr *float32, n int)
//
// dx = gr where y's bits, as a signed integer, lie in (0, +Inf], else +0.
TEXT ·reluGrad32(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ gr+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   gdone
	VPXOR        Y7, Y7, Y7
	MOVL         $0x7f800001, AX
	VMOVD        AX, X6
	VPBROADCASTD X6, Y6

gloop:
	VMOVDQU  (SI), Y0
	VPCMPGTD Y7, Y0, Y1 // y > 0
	VPCMPGTD Y0, Y6, Y2 // y < +Inf + 1
	VPAND    Y2, Y1, Y1
	VPAND    (DX), Y1, Y1
	VMOVDQU  Y1, (DI)
	ADDQ     $32, SI
	ADDQ     $32, DX
	ADDQ     $32, DI
	DECQ     CX
	JNZ      gloop

gdone:
	VZEROUPPER
	RET

// func bernPrep32(e, l *float32, n int, floor float32)
//
// e = max(floor, −|l|), NaN l giving NaN.
TEXT ·bernPrep32(SB), NOSPLIT, $0-28
	MOVQ         e+0(FP), DI
	MOVQ         l+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS floor+24(FP), Y6
	SHRQ         $3, CX
	JZ           pdone
	MOVL         $0x80000000, AX
	VMOVD        AX, X7
	VPBROADCASTD X7, Y7

ploop:
	VMOVUPS (SI), Y0
	VORPS   Y7, Y0, Y0 // −|l|
	VMAXPS  Y0, Y6, Y0 // max(floor, v), v when v is NaN
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     ploop

pdone:
	VZEROUPPER
	RET

// func bernTerms32(t *float64, l, x, lg *float32, n int)
//
// t = x·l − (lg + 0.5(l + |l|)), each operand widened to float64.
TEXT ·bernTerms32(SB), NOSPLIT, $0-40
	MOVQ t+0(FP), DI
	MOVQ l+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ lg+24(FP), R8
	MOVQ n+32(FP), CX
	SHRQ $2, CX
	JZ   tdone
	MOVQ         $0x7fffffffffffffff, AX
	MOVQ         AX, X7
	VPBROADCASTQ X7, Y7
	MOVQ         $0x3fe0000000000000, AX // 0.5
	MOVQ         AX, X6
	VPBROADCASTQ X6, Y6

tloop:
	VCVTPS2PD (SI), Y0 // l
	VCVTPS2PD (DX), Y1 // x
	VCVTPS2PD (R8), Y2 // lg
	VANDPD    Y7, Y0, Y3
	VADDPD    Y3, Y0, Y3 // l + |l|
	VMULPD    Y6, Y3, Y3 // 0.5(l + |l|)
	VADDPD    Y3, Y2, Y3 // lg + that
	VMULPD    Y0, Y1, Y1 // x·l
	VSUBPD    Y3, Y1, Y1
	VMOVUPD   Y1, (DI)
	ADDQ      $16, SI
	ADDQ      $16, DX
	ADDQ      $16, R8
	ADDQ      $32, DI
	DECQ      CX
	JNZ       tloop

tdone:
	VZEROUPPER
	RET

// func bernResid32(r, x, l, e *float32, n int)
//
// r = x − sigmoid(l) with sigmoid(l) = 1/(1+e) for l's sign bit clear and
// e/(1+e) for it set, e = exp(−|l|).
TEXT ·bernResid32(SB), NOSPLIT, $0-40
	MOVQ r+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ l+16(FP), DX
	MOVQ e+24(FP), R8
	MOVQ n+32(FP), CX
	SHRQ $3, CX
	JZ   sdone
	MOVL         $0x3f800000, AX // 1
	VMOVD        AX, X7
	VPBROADCASTD X7, Y7

sloop:
	VMOVUPS   (R8), Y0      // e
	VADDPS    Y7, Y0, Y1    // 1 + e
	VDIVPS    Y1, Y7, Y1    // inv = 1/(1 + e)
	VMULPS    Y0, Y1, Y2    // inv·e
	VMOVUPS   (DX), Y3      // l
	VBLENDVPS Y3, Y2, Y1, Y1 // l's sign set ? inv·e : inv
	VMOVUPS   (SI), Y4
	VSUBPS    Y1, Y4, Y4
	VMOVUPS   Y4, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	ADDQ      $32, R8
	ADDQ      $32, DI
	DECQ      CX
	JNZ       sloop

sdone:
	VZEROUPPER
	RET

// func add32(out, x, y *float32, n int)
//
// out = x + y, element by element, in one pass (vek's Add_Into copies x
// into out first, then adds: two passes over out).
TEXT ·add32(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   adone

aloop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     aloop

adone:
	VZEROUPPER
	RET

// func scale32(out, x *float32, s float32, n int)
//
// out = s·x, element by element, in one pass.
TEXT ·scale32(SB), NOSPLIT, $0-32
	MOVQ         out+0(FP), DI
	MOVQ         x+8(FP), SI
	VBROADCASTSS s+16(FP), Y1
	MOVQ         n+24(FP), CX
	SHRQ         $3, CX
	JZ           sdone

sloop:
	VMULPS  (SI), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     sloop

sdone:
	VZEROUPPER
	RET
