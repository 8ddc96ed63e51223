#include "textflag.h"

// The row kernels of the column filters in SSE: four float32 lanes at a
// time, each lane the same IEEE single-precision add, subtract and divide
// as the scalar Go code, in the same order (no fused or reordered
// arithmetic), so the results are bit-for-bit those of filter_other.go.
// SSE is part of every amd64 processor; no feature check is needed.

// func addSubDivRowSSE(out, sums, add, sub *float32, n int, d float32)
TEXT ·addSubDivRowSSE(SB), NOSPLIT, $0-44
	MOVQ  out+0(FP), DI
	MOVQ  sums+8(FP), SI
	MOVQ  add+16(FP), R8
	MOVQ  sub+24(FP), R9
	MOVQ  n+32(FP), CX
	MOVSS d+40(FP), X7
	SHUFPS $0, X7, X7
	XORQ  AX, AX
	MOVQ  CX, BX
	ANDQ  $-8, BX

asd8:
	CMPQ   AX, BX
	JGE    asd1
	MOVUPS (SI)(AX*4), X0
	MOVUPS 16(SI)(AX*4), X1
	MOVUPS (R8)(AX*4), X2
	MOVUPS 16(R8)(AX*4), X3
	ADDPS  X2, X0
	ADDPS  X3, X1
	MOVUPS (R9)(AX*4), X4
	MOVUPS 16(R9)(AX*4), X5
	SUBPS  X4, X0
	SUBPS  X5, X1
	MOVUPS X0, (SI)(AX*4)
	MOVUPS X1, 16(SI)(AX*4)
	DIVPS  X7, X0
	DIVPS  X7, X1
	MOVUPS X0, (DI)(AX*4)
	MOVUPS X1, 16(DI)(AX*4)
	ADDQ   $8, AX
	JMP    asd8

asd1:
	CMPQ  AX, CX
	JGE   asdDone
	MOVSS (SI)(AX*4), X0
	ADDSS (R8)(AX*4), X0
	SUBSS (R9)(AX*4), X0
	MOVSS X0, (SI)(AX*4)
	DIVSS X7, X0
	MOVSS X0, (DI)(AX*4)
	INCQ  AX
	JMP   asd1

asdDone:
	RET

// func divRowSSE(out, sums *float32, n int, d float32)
TEXT ·divRowSSE(SB), NOSPLIT, $0-28
	MOVQ  out+0(FP), DI
	MOVQ  sums+8(FP), SI
	MOVQ  n+16(FP), CX
	MOVSS d+24(FP), X7
	SHUFPS $0, X7, X7
	XORQ  AX, AX
	MOVQ  CX, BX
	ANDQ  $-8, BX

div8:
	CMPQ   AX, BX
	JGE    div1
	MOVUPS (SI)(AX*4), X0
	MOVUPS 16(SI)(AX*4), X1
	DIVPS  X7, X0
	DIVPS  X7, X1
	MOVUPS X0, (DI)(AX*4)
	MOVUPS X1, 16(DI)(AX*4)
	ADDQ   $8, AX
	JMP    div8

div1:
	CMPQ  AX, CX
	JGE   divDone
	MOVSS (SI)(AX*4), X0
	DIVSS X7, X0
	MOVSS X0, (DI)(AX*4)
	INCQ  AX
	JMP   div1

divDone:
	RET

// func addRowSSE(sums, in *float32, n int)
TEXT ·addRowSSE(SB), NOSPLIT, $0-24
	MOVQ sums+0(FP), SI
	MOVQ in+8(FP), R8
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-4, BX

add4:
	CMPQ   AX, BX
	JGE    add1
	MOVUPS (SI)(AX*4), X0
	MOVUPS (R8)(AX*4), X1
	ADDPS  X1, X0
	MOVUPS X0, (SI)(AX*4)
	ADDQ   $4, AX
	JMP    add4

add1:
	CMPQ  AX, CX
	JGE   addDone
	MOVSS (SI)(AX*4), X0
	ADDSS (R8)(AX*4), X0
	MOVSS X0, (SI)(AX*4)
	INCQ  AX
	JMP   add1

addDone:
	RET

// func subRowSSE(sums, in *float32, n int)
TEXT ·subRowSSE(SB), NOSPLIT, $0-24
	MOVQ sums+0(FP), SI
	MOVQ in+8(FP), R8
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-4, BX

sub4:
	CMPQ   AX, BX
	JGE    sub1
	MOVUPS (SI)(AX*4), X0
	MOVUPS (R8)(AX*4), X1
	SUBPS  X1, X0
	MOVUPS X0, (SI)(AX*4)
	ADDQ   $4, AX
	JMP    sub4

sub1:
	CMPQ  AX, CX
	JGE   subDone
	MOVSS (SI)(AX*4), X0
	SUBSS (R8)(AX*4), X0
	MOVSS X0, (SI)(AX*4)
	INCQ  AX
	JMP   sub1

subDone:
	RET

// func windowBytesSSE(out *float32, add, sub *uint8, n int, sum int32, d float32) int32
//
// The full windows of an 8-bit row (box1DBytes): sum += add[i] - sub[i],
// out[i] = float32(sum) / d, four at a time with an in-register prefix sum;
// returns the last sum. Sums stay below 2^24, so their conversion to
// float32 is exact and each quotient is the scalar code's.
TEXT ·windowBytesSSE(SB), NOSPLIT, $0-44
	MOVQ   out+0(FP), DI
	MOVQ   add+8(FP), SI
	MOVQ   sub+16(FP), R8
	MOVQ   n+24(FP), CX
	MOVL   sum+32(FP), AX
	MOVSS  d+36(FP), X7
	SHUFPS $0, X7, X7
	MOVL   AX, X6
	PSHUFD $0, X6, X6
	PXOR   X5, X5
	XORQ   R9, R9
	MOVQ   CX, BX
	ANDQ   $-4, BX

wb4:
	CMPQ      R9, BX
	JGE       wbTail
	MOVL      (SI)(R9*1), R10
	MOVL      R10, X0
	MOVL      (R8)(R9*1), R11
	MOVL      R11, X1
	PUNPCKLBW X5, X0
	PUNPCKLWL X5, X0
	PUNPCKLBW X5, X1
	PUNPCKLWL X5, X1
	PSUBL     X1, X0
	MOVO      X0, X2
	PSLLO     $4, X2
	PADDL     X2, X0
	MOVO      X0, X2
	PSLLO     $8, X2
	PADDL     X2, X0
	PADDL     X6, X0
	PSHUFD    $0xFF, X0, X6
	CVTPL2PS  X0, X1
	DIVPS     X7, X1
	MOVUPS    X1, (DI)(R9*4)
	ADDQ      $4, R9
	JMP       wb4

wbTail:
	MOVL X6, AX

wb1:
	CMPQ    R9, CX
	JGE     wbDone
	MOVBLZX (SI)(R9*1), R10
	MOVBLZX (R8)(R9*1), R11
	SUBL    R11, R10
	ADDL    R10, AX
	CVTSL2SS AX, X1
	DIVSS   X7, X1
	MOVSS   X1, (DI)(R9*4)
	INCQ    R9
	JMP     wb1

wbDone:
	MOVL AX, ret+40(FP)
	RET
