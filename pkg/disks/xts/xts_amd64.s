//go:build !purego

#include "textflag.h"

// XTS over n 16-byte blocks with AES-NI in VEX (AVX) encoding. VEX forms
// accept unaligned memory operands, which Go's stack and heap do not align
// to 16 bytes.
//
// Registers:
//   X0-X7  eight blocks in flight: the AES unit has a latency of several
//          cycles but accepts a new block each cycle, so eight independent
//          blocks keep it busy
//   X8     current round key
//   X9     running tweak T (T for block j+1 = T for block j times x)
//   X10    GF(2^128) reduction constant, see DOUBLE
//   X11    scratch
//   0(SP)-127(SP) the eight tweaks of the group, xored in again at the end

// gfPoly holds, as four little-endian dwords, {0x87, 0, 1, 0}: 0x87 is
// x^7+x^2+x+1 folded into the low byte when bit 127 carries out, 1 is the
// carry from bit 63 into bit 64 that the two 64-bit shifts lose.
DATA gfPoly<>+0(SB)/8, $0x0000000000000087
DATA gfPoly<>+8(SB)/8, $0x0000000000000001
GLOBL gfPoly<>(SB), RODATA|NOPTR, $16

// DOUBLE multiplies the tweak in X9 by x. PSHUFD $0x13 puts dword 3 (holding
// bit 127) in dword 0 and dword 1 (holding bit 63) in dword 2; the
// arithmetic shift turns their sign bits into masks that select the carries
// from gfPoly; PADDQ shifts each 64-bit half left by one.
#define DOUBLE \
	VPSHUFD $0x13, X9, X11; \
	VPSRAD  $31, X11, X11; \
	VPAND   X10, X11, X11; \
	VPADDQ  X9, X9, X9; \
	VPXOR   X11, X9, X9

// LOAD8 xors eight source blocks with their tweaks into X0-X7, saving each
// tweak on the stack and leaving X9 at the tweak of the next group.
#define LOADT(off, reg) \
	VMOVDQU X9, off(SP); \
	VPXOR   off(SI), X9, reg; \
	DOUBLE

#define LOAD8 \
	LOADT(0, X0); \
	LOADT(16, X1); \
	LOADT(32, X2); \
	LOADT(48, X3); \
	LOADT(64, X4); \
	LOADT(80, X5); \
	LOADT(96, X6); \
	LOADT(112, X7)

#define ROUND8(op) \
	op X8, X0, X0; \
	op X8, X1, X1; \
	op X8, X2, X2; \
	op X8, X3, X3; \
	op X8, X4, X4; \
	op X8, X5, X5; \
	op X8, X6, X6; \
	op X8, X7, X7

#define STORET(off, reg) \
	VPXOR   off(SP), reg, reg; \
	VMOVDQU reg, off(DI)

#define STORE8 \
	STORET(0, X0); \
	STORET(16, X1); \
	STORET(32, X2); \
	STORET(48, X3); \
	STORET(64, X4); \
	STORET(80, X5); \
	STORET(96, X6); \
	STORET(112, X7)

// The two functions below are
// func name(rounds int, rk *byte, dst, src *byte, nblocks int, tweak *[16]byte)
// rk holds rounds+1 round keys (for decryption, those of the equivalent
// inverse cipher). *tweak is the tweak of the first block on entry and that
// of the block after the last on return. The group loop handles eight blocks
// at a time (a 512-byte sector is four groups); the single loop the rest.

// func xtsEncAVX(rounds int, rk *byte, dst, src *byte, nblocks int, tweak *[16]byte)
TEXT ·xtsEncAVX(SB), NOSPLIT, $128-48
	MOVQ rounds+0(FP), CX
	MOVQ rk+8(FP), AX
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ nblocks+32(FP), DX
	MOVQ tweak+40(FP), BX
	VMOVDQU (BX), X9
	VMOVDQU gfPoly<>(SB), X10

group:
	CMPQ DX, $8
	JB   single
	LOAD8
	VMOVDQU (AX), X8
	ROUND8(VPXOR)
	LEAQ 16(AX), R8
	LEAQ -1(CX), R9

groupRound:
	VMOVDQU (R8), X8
	ROUND8(VAESENC)
	ADDQ $16, R8
	DECQ R9
	JNZ  groupRound
	VMOVDQU (R8), X8
	ROUND8(VAESENCLAST)
	STORE8
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $8, DX
	JMP  group

single:
	TESTQ DX, DX
	JZ    done
	VPXOR (SI), X9, X0
	VPXOR (AX), X0, X0
	LEAQ 16(AX), R8
	LEAQ -1(CX), R9

singleRound:
	VAESENC (R8), X0, X0
	ADDQ $16, R8
	DECQ R9
	JNZ  singleRound
	VAESENCLAST (R8), X0, X0
	VPXOR X9, X0, X0
	VMOVDQU X0, (DI)
	DOUBLE
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ DX
	JMP  single

done:
	VMOVDQU X9, (BX)
	VZEROUPPER
	RET

// func xtsDecAVX(rounds int, rk *byte, dst, src *byte, nblocks int, tweak *[16]byte)
TEXT ·xtsDecAVX(SB), NOSPLIT, $128-48
	MOVQ rounds+0(FP), CX
	MOVQ rk+8(FP), AX
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ nblocks+32(FP), DX
	MOVQ tweak+40(FP), BX
	VMOVDQU (BX), X9
	VMOVDQU gfPoly<>(SB), X10

group:
	CMPQ DX, $8
	JB   single
	LOAD8
	VMOVDQU (AX), X8
	ROUND8(VPXOR)
	LEAQ 16(AX), R8
	LEAQ -1(CX), R9

groupRound:
	VMOVDQU (R8), X8
	ROUND8(VAESDEC)
	ADDQ $16, R8
	DECQ R9
	JNZ  groupRound
	VMOVDQU (R8), X8
	ROUND8(VAESDECLAST)
	STORE8
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $8, DX
	JMP  group

single:
	TESTQ DX, DX
	JZ    done
	VPXOR (SI), X9, X0
	VPXOR (AX), X0, X0
	LEAQ 16(AX), R8
	LEAQ -1(CX), R9

singleRound:
	VAESDEC (R8), X0, X0
	ADDQ $16, R8
	DECQ R9
	JNZ  singleRound
	VAESDECLAST (R8), X0, X0
	VPXOR X9, X0, X0
	VMOVDQU X0, (DI)
	DOUBLE
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ DX
	JMP  single

done:
	VMOVDQU X9, (BX)
	VZEROUPPER
	RET
