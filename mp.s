	.file	"<string>"
	.section	.rodata.cst8,"aM",@progbits,8
	.p2align	3, 0x0
.LCPI0_0:
	.quad	0x3ff0000000000000
	.section	.rodata,"a",@progbits
	.p2align	6, 0x0
.LCPI0_1:
	.quad	0
	.quad	1
	.quad	2
	.quad	3
	.quad	4
	.quad	5
	.quad	6
	.quad	7
	.section	.ltext,"axl",@progbits
	.globl	_ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE
	.p2align	4
	.type	_ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE,@function
_ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	pushq	%r15
	.cfi_def_cfa_offset 24
	pushq	%r14
	.cfi_def_cfa_offset 32
	pushq	%r13
	.cfi_def_cfa_offset 40
	pushq	%r12
	.cfi_def_cfa_offset 48
	pushq	%rbx
	.cfi_def_cfa_offset 56
	subq	$328, %rsp
	.cfi_def_cfa_offset 384
	.cfi_offset %rbx, -56
	.cfi_offset %r12, -48
	.cfi_offset %r13, -40
	.cfi_offset %r14, -32
	.cfi_offset %r15, -24
	.cfi_offset %rbp, -16
	movq	760(%rsp), %rbp
	movq	648(%rsp), %r13
	movq	592(%rsp), %rbx
	movq	424(%rsp), %r14
	movabsq	$NRT_incref, %r15
	movq	%rdi, 80(%rsp)
	movq	%rdx, %rdi
	movq	%rdx, %r12
	movq	%rsi, 32(%rsp)
	callq	*%r15
	movq	%r14, %rdi
	movq	%rbx, %r14
	callq	*%r15
	movq	480(%rsp), %rdi
	callq	*%r15
	movq	536(%rsp), %rdi
	callq	*%r15
	movq	%rbx, %rdi
	callq	*%r15
	movq	%r13, %rdi
	callq	*%r15
	movq	704(%rsp), %rdi
	callq	*%r15
	movq	%rbp, %rdi
	callq	*%r15
	movq	816(%rsp), %rdi
	callq	*%r15
	cmpq	$0, 520(%rsp)
	jle	.LBB0_28
	movq	800(%rsp), %rsi
	movabsq	$9223372036854775800, %rdi
	movq	400(%rsp), %rdx
	movq	%r12, 40(%rsp)
	leaq	8(%rdi), %rax
	xorq	688(%rsp), %rax
	movq	%rsi, %rcx
	notq	%rcx
	leaq	7(%rdx), %r8
	orq	%rax, %rcx
	movq	%r8, %r9
	setne	15(%rsp)
	testq	%rdx, %rdx
	setle	%cl
	shrq	$3, %r9
	sete	%al
	testq	%rsi, %rsi
	je	.LBB0_29
	orb	%al, %cl
	movl	%edx, %eax
	andl	$7, %eax
	andq	%rdx, %rdi
	movq	680(%rsp), %rsi
	movq	624(%rsp), %r15
	movq	40(%rsp), %r12
	movq	592(%rsp), %r14
	shrq	$5, %r8
	leaq	(,%rdx,4), %rdx
	movq	%r9, 112(%rsp)
	movq	%rax, 72(%rsp)
	movabsq	$.LCPI0_0, %rax
	movq	%rdi, 128(%rsp)
	movq	384(%rsp), %rdi
	movb	%cl, 14(%rsp)
	movl	%r9d, %ecx
	andl	$3, %ecx
	shlq	$2, %r8
	decq	%r9
	vmovsd	(%rax), %xmm0
	movabsq	$.LCPI0_1, %rax
	negq	%r8
	movq	%rdx, 24(%rsp)
	movq	%r9, 64(%rsp)
	movq	%rcx, 88(%rsp)
	vmovaps	(%rax), %zmm2
	vmovapd	(%rax), %zmm1
	movl	%ecx, %eax
	shll	$5, %eax
	movq	%r8, 56(%rsp)
	movq	%rax, 144(%rsp)
	leal	(,%rcx,8), %eax
	xorl	%ecx, %ecx
	leaq	192(%rsi), %rdx
	leaq	28(%rdi), %r8
	addq	$96, %rdi
	movq	%rax, 136(%rsp)
	movq	%rdx, 96(%rsp)
	movq	%r8, 120(%rsp)
	movq	%rdi, 104(%rsp)
	vmovsd	%xmm0, 152(%rsp)
	vmovups	%zmm2, 256(%rsp)
	vmovupd	%zmm1, 192(%rsp)
	jmp	.LBB0_3
	.p2align	4
.LBB0_27:
	movq	168(%rsp), %r12
	movabsq	$NRT_decref, %rbp
	movq	%r11, %r13
	incq	%r12
	vzeroupper
	callq	*%rbp
	movq	40(%rsp), %rbx
	movq	%rbx, %rdi
	callq	*%rbp
	movq	648(%rsp), %r14
	movq	%r14, %rdi
	callq	*%rbp
	movq	%r13, %rbp
	movq	%r14, %r13
	movq	592(%rsp), %r14
	movq	%r12, %rcx
	cmpq	520(%rsp), %r12
	movq	%rbx, %r12
	je	.LBB0_28
.LBB0_3:
	movq	512(%rsp), %rax
	movq	568(%rsp), %rdx
	movq	%r12, %rdi
	movabsq	$NRT_incref, %r12
	movq	%rcx, 168(%rsp)
	movq	(%rax,%rcx,8), %rax
	movq	%rax, 16(%rsp)
	movq	(%rdx,%rcx,8), %rax
	movq	%rax, 32(%rsp)
	vzeroupper
	callq	*%r12
	movq	%r14, %rdi
	callq	*%r12
	movq	%r13, %rdi
	callq	*%r12
	movq	704(%rsp), %rdi
	callq	*%r12
	movq	%rbp, %rdi
	callq	*%r12
	movq	816(%rsp), %rbx
	movq	%rbx, %rdi
	callq	*%r12
	cmpb	$0, 15(%rsp)
	je	.LBB0_4
	movq	688(%rsp), %rax
	movq	800(%rsp), %r8
	movq	400(%rsp), %rdi
	movq	848(%rsp), %r9
	movq	792(%rsp), %r10
	movq	736(%rsp), %r11
	movabsq	$NRT_decref, %rsi
	movq	%rax, %rcx
	orq	%r8, %rcx
	shrq	$32, %rcx
	testq	%rcx, %rcx
	je	.LBB0_32
	je	.LBB0_32
	cqto
	idivq	%r8
	jmp	.LBB0_35
	.p2align	4
.LBB0_32:
	xorl	%edx, %edx
	divl	%r8d
.LBB0_35:
	movq	%rdx, %rcx
	xorq	%r8, %rcx
	sets	%r14b
	testq	%rdx, %rdx
	setne	%cl
	andb	%r14b, %cl
	movzbl	%cl, %ecx
	subq	%rcx, %rax
	vmovsd	152(%rsp), %xmm3
	movq	464(%rsp), %rcx
	testq	%rcx, %rcx
	je	.LBB0_7
.LBB0_6:
	movq	16(%rsp), %rdx
	movq	456(%rsp), %r12
	movq	%rdx, %r14
	sarq	$63, %r14
	andq	%rcx, %r14
	leaq	(%r12,%rdx,8), %rcx
	vmovsd	(%rcx,%r14,8), %xmm3
.LBB0_7:
	movq	%rax, 48(%rsp)
	vmovapd	%xmm3, 176(%rsp)
	testq	%rdi, %rdi
	jle	.LBB0_8
	movq	16(%rsp), %rcx
	movq	%rcx, %r14
	sarq	$63, %r14
	andq	392(%rsp), %r14
	addq	%rcx, %r14
	cmpq	$8, %rdi
	jae	.LBB0_9
	movq	72(%rsp), %rdi
	vxorps	%xmm0, %xmm0, %xmm0
	xorl	%edx, %edx
	jmp	.LBB0_12
	.p2align	4
.LBB0_8:
	vxorps	%xmm0, %xmm0, %xmm0
	jmp	.LBB0_14
	.p2align	4
.LBB0_9:
	movq	24(%rsp), %rcx
	movq	128(%rsp), %rdi
	vxorps	%xmm0, %xmm0, %xmm0
	xorl	%edx, %edx
	imulq	%r14, %rcx
	addq	120(%rsp), %rcx
	.p2align	4
.LBB0_10:
	vmovss	-28(%rcx,%rdx,4), %xmm1
	vmovss	-24(%rcx,%rdx,4), %xmm2
	vcvtss2sd	%xmm1, %xmm1, %xmm1
	vsubsd	(%r15,%rdx,8), %xmm1, %xmm1
	vmulsd	%xmm1, %xmm1, %xmm1
	vaddsd	%xmm1, %xmm0, %xmm0
	vcvtss2sd	%xmm2, %xmm2, %xmm1
	vsubsd	8(%r15,%rdx,8), %xmm1, %xmm1
	vmulsd	%xmm1, %xmm1, %xmm1
	vaddsd	%xmm1, %xmm0, %xmm0
	vmovss	-20(%rcx,%rdx,4), %xmm1
	vcvtss2sd	%xmm1, %xmm1, %xmm1
	vsubsd	16(%r15,%rdx,8), %xmm1, %xmm1
	vmulsd	%xmm1, %xmm1, %xmm1
	vaddsd	%xmm1, %xmm0, %xmm0
	vmovss	-16(%rcx,%rdx,4), %xmm1
	vcvtss2sd	%xmm1, %xmm1, %xmm1
	vsubsd	24(%r15,%rdx,8), %xmm1, %xmm1
	vmulsd	%xmm1, %xmm1, %xmm1
	vaddsd	%xmm1, %xmm0, %xmm0
	vmovss	-12(%rcx,%rdx,4), %xmm1
	vcvtss2sd	%xmm1, %xmm1, %xmm1
	vsubsd	32(%r15,%rdx,8), %xmm1, %xmm1
	vmulsd	%xmm1, %xmm1, %xmm1
	vaddsd	%xmm1, %xmm0, %xmm0
	vmovss	-8(%rcx,%rdx,4), %xmm1
	vcvtss2sd	%xmm1, %xmm1, %xmm1
	vsubsd	40(%r15,%rdx,8), %xmm1, %xmm1
	vmulsd	%xmm1, %xmm1, %xmm1
	vaddsd	%xmm1, %xmm0, %xmm0
	vmovss	-4(%rcx,%rdx,4), %xmm1
	vcvtss2sd	%xmm1, %xmm1, %xmm1
	vsubsd	48(%r15,%rdx,8), %xmm1, %xmm1
	vmulsd	%xmm1, %xmm1, %xmm1
	vaddsd	%xmm1, %xmm0, %xmm0
	vmovss	(%rcx,%rdx,4), %xmm1
	vcvtss2sd	%xmm1, %xmm1, %xmm1
	vsubsd	56(%r15,%rdx,8), %xmm1, %xmm1
	addq	$8, %rdx
	vmulsd	%xmm1, %xmm1, %xmm1
	vaddsd	%xmm1, %xmm0, %xmm0
	cmpq	%rdx, %rdi
	jne	.LBB0_10
	movq	72(%rsp), %rdi
	testq	%rdi, %rdi
	je	.LBB0_14
.LBB0_12:
	imulq	24(%rsp), %r14
	leaq	(%r15,%rdx,8), %rcx
	leaq	(%r14,%rdx,4), %rax
	addq	384(%rsp), %rax
	xorl	%edx, %edx
	.p2align	4
.LBB0_13:
	vmovss	(%rax,%rdx,4), %xmm1
	vcvtss2sd	%xmm1, %xmm1, %xmm1
	vsubsd	(%rcx,%rdx,8), %xmm1, %xmm1
	incq	%rdx
	vmulsd	%xmm1, %xmm1, %xmm1
	vaddsd	%xmm1, %xmm0, %xmm0
	cmpq	%rdx, %rdi
	jne	.LBB0_13
.LBB0_14:
	movq	32(%rsp), %r12
	movq	%rbp, %rdi
	movq	%r12, %rax
	sarq	$63, %rax
	leaq	(%r10,%r12,8), %rdx
	movq	%r12, %r13
	xorq	$1, %r13
	movq	%rax, %rcx
	andq	%r8, %rcx
	vaddsd	(%rdx,%rcx,8), %xmm3, %xmm1
	vmovsd	%xmm1, (%rdx,%rcx,8)
	movq	%rax, %rcx
	andq	744(%rsp), %rcx
	leaq	(%r11,%r12,8), %rdx
	vmulsd	%xmm0, %xmm3, %xmm1
	andq	856(%rsp), %rax
	vaddsd	(%rdx,%rcx,8), %xmm1, %xmm0
	vmovsd	%xmm0, (%rdx,%rcx,8)
	leaq	(%r9,%r12,8), %rdx
	incq	(%rdx,%rax,8)
	movq	704(%rsp), %rax
	movq	%rax, %r14
	testq	%r12, %r12
	js	.LBB0_16
	vmovsd	(%r10,%r13,8), %xmm0
	movq	760(%rsp), %rdi
	movq	%rbx, %rbp
	movq	%rax, %rbx
	movabsq	$NRT_decref, %rax
	movq	%r11, %r12
	vmovsd	%xmm1, 160(%rsp)
	movq	%r9, %r14
	vsubsd	%xmm3, %xmm0, %xmm0
	vmovsd	%xmm0, (%r10,%r13,8)
	callq	*%rax
	vmovsd	(%r12,%r13,8), %xmm0
	movabsq	$NRT_decref, %rax
	movq	%rbx, %rdi
	vsubsd	160(%rsp), %xmm0, %xmm0
	vmovsd	%xmm0, (%r12,%r13,8)
	callq	*%rax
	decq	(%r14,%r13,8)
	movabsq	$NRT_decref, %rax
	movq	%rbp, %rdi
	callq	*%rax
	movabsq	$NRT_decref, %rsi
	xorl	%r14d, %r14d
	xorl	%edi, %edi
	xorl	%ebx, %ebx
.LBB0_16:
	movq	%r13, %rbp
	movq	%rsi, %r13
	callq	*%rsi
	movq	%r14, %rdi
	callq	*%r13
	movq	%rbx, %rdi
	callq	*%r13
	vmovdqu64	256(%rsp), %zmm3
	cmpb	$0, 14(%rsp)
	movq	760(%rsp), %r11
	movq	592(%rsp), %rdi
	movq	144(%rsp), %r14
	movq	136(%rsp), %r13
	movq	32(%rsp), %rbx
	movl	$8, %r12d
	jne	.LBB0_27
	vbroadcastsd	176(%rsp), %zmm0
	testq	%rbx, %rbx
	js	.LBB0_18
	cmpq	$3, 64(%rsp)
	jae	.LBB0_40
	xorl	%r8d, %r8d
	jmp	.LBB0_21
.LBB0_18:
	movq	48(%rsp), %rdx
	movq	%r11, %r14
	movq	400(%rsp), %r11
	imulq	%rbx, %rdx
	cmpq	$3, 64(%rsp)
	jae	.LBB0_42
	xorl	%eax, %eax
	jmp	.LBB0_25
.LBB0_40:
	movq	48(%rsp), %rcx
	movq	96(%rsp), %rsi
	movq	24(%rsp), %rax
	vmovdqu64	192(%rsp), %zmm4
	movq	%r11, %r13
	movq	400(%rsp), %r11
	xorl	%r8d, %r8d
	imulq	16(%rsp), %rax
	addq	104(%rsp), %rax
	leaq	(,%rcx,8), %rcx
	movq	%rcx, %rdx
	imulq	%rbx, %rdx
	imulq	%rbp, %rcx
	addq	%rsi, %rdx
	addq	%rsi, %rcx
	movq	56(%rsp), %rsi
	.p2align	4
.LBB0_41:
	movq	%r11, %r9
	subq	$8, %r9
	movl	$8, %r10d
	cmovlq	%r11, %r10
	cmpq	$8, %r9
	vpbroadcastq	%r10, %zmm1
	cmovgeq	%r12, %r9
	vpcmpgtq	%zmm4, %zmm1, %k1
	vmovups	-96(%rax,%r8,4), %ymm1 {%k1} {z}
	vcvtps2pd	%ymm1, %zmm1
	vsubpd	(%r15,%r8,8), %zmm1, %zmm1
	vmulpd	%zmm1, %zmm0, %zmm1
	vaddpd	-192(%rdx,%r8,8), %zmm1, %zmm2
	vmovupd	%zmm2, -192(%rdx,%r8,8)
	vmovupd	-192(%rcx,%r8,8), %zmm2
	vsubpd	%zmm1, %zmm2, %zmm1
	vmovupd	%zmm1, -192(%rcx,%r8,8)
	vpbroadcastq	%r9, %zmm1
	leaq	-16(%r11), %r9
	vpcmpgtq	%zmm4, %zmm1, %k1
	cmpq	$8, %r9
	vmovups	-64(%rax,%r8,4), %ymm1 {%k1} {z}
	cmovgeq	%r12, %r9
	vcvtps2pd	%ymm1, %zmm1
	vsubpd	64(%r15,%r8,8), %zmm1, %zmm1
	vmulpd	%zmm1, %zmm0, %zmm1
	vaddpd	-128(%rdx,%r8,8), %zmm1, %zmm2
	vmovupd	%zmm2, -128(%rdx,%r8,8)
	vmovupd	-128(%rcx,%r8,8), %zmm2
	vsubpd	%zmm1, %zmm2, %zmm1
	vmovupd	%zmm1, -128(%rcx,%r8,8)
	vpbroadcastq	%r9, %zmm1
	leaq	-24(%r11), %r9
	vpcmpgtq	%zmm4, %zmm1, %k1
	cmpq	$8, %r9
	vmovups	-32(%rax,%r8,4), %ymm1 {%k1} {z}
	cmovgeq	%r12, %r9
	addq	$-32, %r11
	addq	$4, %rsi
	vcvtps2pd	%ymm1, %zmm1
	vsubpd	128(%r15,%r8,8), %zmm1, %zmm1
	vmulpd	%zmm1, %zmm0, %zmm1
	vaddpd	-64(%rdx,%r8,8), %zmm1, %zmm2
	vmovupd	%zmm2, -64(%rdx,%r8,8)
	vmovupd	-64(%rcx,%r8,8), %zmm2
	vsubpd	%zmm1, %zmm2, %zmm1
	vmovupd	%zmm1, -64(%rcx,%r8,8)
	vpbroadcastq	%r9, %zmm1
	vpcmpgtq	%zmm4, %zmm1, %k1
	vmovups	(%rax,%r8,4), %ymm1 {%k1} {z}
	vcvtps2pd	%ymm1, %zmm1
	vsubpd	192(%r15,%r8,8), %zmm1, %zmm1
	vmulpd	%zmm1, %zmm0, %zmm1
	vaddpd	(%rdx,%r8,8), %zmm1, %zmm2
	vmovupd	%zmm2, (%rdx,%r8,8)
	vmovupd	(%rcx,%r8,8), %zmm2
	vsubpd	%zmm1, %zmm2, %zmm1
	vmovupd	%zmm1, (%rcx,%r8,8)
	leaq	32(%r8), %r8
	jne	.LBB0_41
	testb	$3, 112(%rsp)
	movq	%r13, %r11
	je	.LBB0_27
.LBB0_21:
	movq	48(%rsp), %rcx
	movq	16(%rsp), %rsi
	movq	680(%rsp), %r9
	leaq	(%r15,%r8,8), %rdx
	xorl	%r10d, %r10d
	imulq	24(%rsp), %rsi
	shlq	$3, %rcx
	imulq	%rcx, %rbp
	imulq	%rbx, %rcx
	leaq	(%rsi,%r8,4), %rsi
	addq	384(%rsp), %rsi
	leaq	(%rbp,%r8,8), %rax
	leaq	(%rcx,%r8,8), %rcx
	addq	%r9, %rax
	addq	%r9, %rcx
	movq	400(%rsp), %r9
	subq	%r8, %r9
	movq	%r9, %r8
	.p2align	4
.LBB0_22:
	subq	$8, %r8
	cmovgeq	%r12, %r9
	vpbroadcastq	%r9, %zmm1
	movq	%r8, %r9
	vpcmpgtq	%zmm3, %zmm1, %k1
	vmovups	(%rsi,%r10), %ymm1 {%k1} {z}
	vcvtps2pd	%ymm1, %zmm1
	vsubpd	(%rdx,%r10,2), %zmm1, %zmm1
	vmulpd	%zmm1, %zmm0, %zmm1
	vaddpd	(%rcx,%r10,2), %zmm1, %zmm2
	vmovupd	%zmm2, (%rcx,%r10,2)
	vmovupd	(%rax,%r10,2), %zmm2
	vsubpd	%zmm1, %zmm2, %zmm1
	vmovupd	%zmm1, (%rax,%r10,2)
	addq	$32, %r10
	cmpq	%r10, %r14
	jne	.LBB0_22
	jmp	.LBB0_27
.LBB0_42:
	movq	16(%rsp), %rax
	movq	384(%rsp), %rcx
	vmovdqu64	192(%rsp), %zmm2
	movq	56(%rsp), %r10
	movq	%rdx, %rbx
	movl	$48, %esi
	imulq	%r11, %rax
	leaq	(%rcx,%rax,4), %rcx
	movq	680(%rsp), %rax
	leaq	(%rax,%rdx,8), %rdx
	xorl	%eax, %eax
	.p2align	4
.LBB0_43:
	leaq	(%r11,%rax), %r8
	movq	%r8, %r9
	subq	$8, %r9
	cmovgeq	%r12, %r8
	cmpq	$8, %r9
	vpbroadcastq	%r8, %zmm1
	cmovgeq	%r12, %r9
	leaq	-16(%r11,%rax), %r8
	vpcmpgtq	%zmm2, %zmm1, %k1
	vmovups	-96(%rcx,%rsi,2), %ymm1 {%k1} {z}
	cmpq	$8, %r8
	cmovgeq	%r12, %r8
	vcvtps2pd	%ymm1, %zmm1
	vsubpd	-192(%r15,%rsi,4), %zmm1, %zmm1
	vmulpd	%zmm1, %zmm0, %zmm1
	vaddpd	-192(%rdx,%rsi,4), %zmm1, %zmm1
	vmovupd	%zmm1, -192(%rdx,%rsi,4)
	vpbroadcastq	%r9, %zmm1
	vpcmpgtq	%zmm2, %zmm1, %k1
	vmovups	-64(%rcx,%rsi,2), %ymm1 {%k1} {z}
	vcvtps2pd	%ymm1, %zmm1
	vsubpd	-128(%r15,%rsi,4), %zmm1, %zmm1
	vmulpd	%zmm1, %zmm0, %zmm1
	vaddpd	-128(%rdx,%rsi,4), %zmm1, %zmm1
	vmovupd	%zmm1, -128(%rdx,%rsi,4)
	vpbroadcastq	%r8, %zmm1
	leaq	-24(%r11,%rax), %r8
	vpcmpgtq	%zmm2, %zmm1, %k1
	vmovups	-32(%rcx,%rsi,2), %ymm1 {%k1} {z}
	cmpq	$8, %r8
	cmovgeq	%r12, %r8
	addq	$-32, %rax
	vcvtps2pd	%ymm1, %zmm1
	vsubpd	-64(%r15,%rsi,4), %zmm1, %zmm1
	vmulpd	%zmm1, %zmm0, %zmm1
	vaddpd	-64(%rdx,%rsi,4), %zmm1, %zmm1
	vmovupd	%zmm1, -64(%rdx,%rsi,4)
	vpbroadcastq	%r8, %zmm1
	vpcmpgtq	%zmm2, %zmm1, %k1
	vmovups	(%rcx,%rsi,2), %ymm1 {%k1} {z}
	vcvtps2pd	%ymm1, %zmm1
	vsubpd	(%r15,%rsi,4), %zmm1, %zmm1
	vmulpd	%zmm1, %zmm0, %zmm1
	vaddpd	(%rdx,%rsi,4), %zmm1, %zmm1
	vmovupd	%zmm1, (%rdx,%rsi,4)
	addq	$64, %rsi
	addq	$4, %r10
	jne	.LBB0_43
	cmpq	$0, 88(%rsp)
	movq	%r14, %r11
	je	.LBB0_27
	movq	400(%rsp), %r11
	negq	%rax
	movq	%rbx, %rdx
.LBB0_25:
	movq	16(%rsp), %rsi
	leaq	(,%rax,8), %rcx
	movq	%r11, %r8
	subq	%rax, %r8
	movq	%r14, %r11
	imulq	24(%rsp), %rsi
	movq	%r8, %r9
	leaq	(%rcx,%rdx,8), %rcx
	addq	680(%rsp), %rcx
	leaq	(%r15,%rax,8), %rdx
	leaq	(%rsi,%rax,4), %rsi
	addq	384(%rsp), %rsi
	xorl	%eax, %eax
	.p2align	4
.LBB0_26:
	subq	$8, %r9
	cmovgeq	%r12, %r8
	vpbroadcastq	%r8, %zmm1
	movq	%r9, %r8
	vpcmpgtq	%zmm3, %zmm1, %k1
	vmovups	(%rsi,%rax,4), %ymm1 {%k1} {z}
	vcvtps2pd	%ymm1, %zmm1
	vsubpd	(%rdx,%rax,8), %zmm1, %zmm1
	vmulpd	%zmm1, %zmm0, %zmm1
	vaddpd	(%rcx,%rax,8), %zmm1, %zmm1
	vmovupd	%zmm1, (%rcx,%rax,8)
	addq	$8, %rax
	cmpq	%rax, %r13
	jne	.LBB0_26
	jmp	.LBB0_27
.LBB0_4:
	movq	400(%rsp), %rdi
	movq	800(%rsp), %r8
	movq	848(%rsp), %r9
	movq	792(%rsp), %r10
	movq	736(%rsp), %r11
	movabsq	$NRT_decref, %rsi
	xorl	%eax, %eax
	vmovsd	152(%rsp), %xmm3
	movq	464(%rsp), %rcx
	testq	%rcx, %rcx
	jne	.LBB0_6
	jmp	.LBB0_7
.LBB0_28:
	movq	424(%rsp), %rdi
	movabsq	$NRT_decref, %r15
	callq	*%r15
	movq	536(%rsp), %rdi
	callq	*%r15
	movq	%r14, %rdi
	callq	*%r15
	movq	480(%rsp), %rdi
	callq	*%r15
	movq	%r12, %rdi
	callq	*%r15
	movq	%rbp, %rdi
	callq	*%r15
	movq	%r13, %rdi
	callq	*%r15
	movq	704(%rsp), %rdi
	callq	*%r15
	movq	816(%rsp), %rdi
	callq	*%r15
	movq	80(%rsp), %rax
	movq	$0, (%rax)
	xorl	%eax, %eax
.LBB0_30:
	addq	$328, %rsp
	.cfi_def_cfa_offset 56
	popq	%rbx
	.cfi_def_cfa_offset 48
	popq	%r12
	.cfi_def_cfa_offset 40
	popq	%r13
	.cfi_def_cfa_offset 32
	popq	%r14
	.cfi_def_cfa_offset 24
	popq	%r15
	.cfi_def_cfa_offset 16
	popq	%rbp
	.cfi_def_cfa_offset 8
	retq
.LBB0_29:
	.cfi_def_cfa_offset 384
	movq	40(%rsp), %rdi
	movabsq	$NRT_incref, %r15
	callq	*%r15
	movq	424(%rsp), %rdi
	callq	*%r15
	movq	592(%rsp), %rdi
	callq	*%r15
	movq	%r13, %rdi
	callq	*%r15
	movq	704(%rsp), %rdi
	callq	*%r15
	movq	%rbp, %rdi
	callq	*%r15
	movq	816(%rsp), %rdi
	callq	*%r15
	movq	32(%rsp), %rcx
	movabsq	$.const.picklebuf.4b35ba8af2682dbaf044af47e894dd2cb1385034, %rax
	movq	%rax, (%rcx)
	movl	$1, %eax
	jmp	.LBB0_30
.Lfunc_end0:
	.size	_ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE, .Lfunc_end0-_ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE
	.cfi_endproc

	.globl	_ZN7cpython8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE
	.p2align	4
	.type	_ZN7cpython8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE,@function
_ZN7cpython8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	pushq	%r15
	.cfi_def_cfa_offset 24
	pushq	%r14
	.cfi_def_cfa_offset 32
	pushq	%r13
	.cfi_def_cfa_offset 40
	pushq	%r12
	.cfi_def_cfa_offset 48
	pushq	%rbx
	.cfi_def_cfa_offset 56
	subq	$840, %rsp
	.cfi_def_cfa_offset 896
	.cfi_offset %rbx, -56
	.cfi_offset %r12, -48
	.cfi_offset %r13, -40
	.cfi_offset %r14, -32
	.cfi_offset %r15, -24
	.cfi_offset %rbp, -16
	movq	%rsi, %rdi
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	leaq	176(%rsp), %r10
	xorl	%ebx, %ebx
	leaq	184(%rsp), %r11
	leaq	192(%rsp), %r14
	leaq	200(%rsp), %r15
	leaq	208(%rsp), %r12
	leaq	216(%rsp), %r13
	leaq	224(%rsp), %rbp
	movabsq	$.const.loop, %rsi
	leaq	240(%rsp), %r8
	leaq	232(%rsp), %r9
	movl	$9, %edx
	movl	$9, %ecx
	xorl	%eax, %eax
	pushq	%r10
	.cfi_adjust_cfa_offset 8
	pushq	%r11
	.cfi_adjust_cfa_offset 8
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	movabsq	$PyArg_UnpackTuple, %r10
	callq	*%r10
	addq	$64, %rsp
	.cfi_adjust_cfa_offset -64
	vxorps	%xmm0, %xmm0, %xmm0
	vmovups	%ymm0, 304(%rsp)
	vmovups	%ymm0, 240(%rsp)
	vmovups	%ymm0, 368(%rsp)
	vmovups	%ymm0, 328(%rsp)
	vmovups	%ymm0, 264(%rsp)
	vmovups	%ymm0, 392(%rsp)
	movq	$0, 64(%rsp)
	testl	%eax, %eax
	je	.LBB1_22
	movabsq	$_ZN08NumbaEnv8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE, %rax
	cmpq	$0, (%rax)
	je	.LBB1_26
	movq	232(%rsp), %rdi
	movabsq	$NRT_adapt_ndarray_from_python, %r15
	leaq	640(%rsp), %rsi
	vxorps	%xmm0, %xmm0, %xmm0
	vmovups	%zmm0, 640(%rsp)
	movq	$0, 704(%rsp)
	vzeroupper
	callq	*%r15
	cmpq	$4, 664(%rsp)
	setne	%cl
	testl	%eax, %eax
	setne	%bl
	orb	%cl, %bl
	cmpb	$1, %bl
	je	.LBB1_28
	testb	%bl, %bl
	jne	.LBB1_29
.LBB1_4:
	movq	224(%rsp), %rdi
	movq	640(%rsp), %r12
	movq	672(%rsp), %r13
	movq	680(%rsp), %r14
	movq	688(%rsp), %rbp
	leaq	576(%rsp), %rsi
	vxorps	%xmm0, %xmm0, %xmm0
	vmovups	%ymm0, 576(%rsp)
	vmovups	%ymm0, 600(%rsp)
	vzeroupper
	callq	*%r15
	testl	%eax, %eax
	jne	.LBB1_30
	cmpq	$8, 600(%rsp)
	jne	.LBB1_30
	movq	576(%rsp), %rax
	movq	608(%rsp), %rcx
	movq	216(%rsp), %rdi
	leaq	512(%rsp), %rsi
	vxorps	%xmm0, %xmm0, %xmm0
	vmovups	%ymm0, 512(%rsp)
	vmovups	%ymm0, 536(%rsp)
	movq	%rax, 56(%rsp)
	movq	616(%rsp), %rax
	movq	%rcx, 8(%rsp)
	movq	%rax, (%rsp)
	vzeroupper
	callq	*%r15
	testl	%eax, %eax
	jne	.LBB1_31
	cmpq	$8, 536(%rsp)
	jne	.LBB1_31
	movq	544(%rsp), %rax
	movq	208(%rsp), %rdi
	movq	512(%rsp), %rbx
	leaq	784(%rsp), %rsi
	vxorps	%xmm0, %xmm0, %xmm0
	vmovups	%ymm0, 784(%rsp)
	movq	%rbp, 160(%rsp)
	vmovups	%ymm0, 808(%rsp)
	movq	%rax, 152(%rsp)
	movq	552(%rsp), %rax
	movq	%rax, 144(%rsp)
	vzeroupper
	callq	*%r15
	testl	%eax, %eax
	jne	.LBB1_32
	cmpq	$8, 808(%rsp)
	jne	.LBB1_32
	movq	816(%rsp), %rax
	movq	200(%rsp), %rdi
	movq	%r14, 136(%rsp)
	movq	784(%rsp), %r14
	leaq	720(%rsp), %rsi
	vxorps	%xmm0, %xmm0, %xmm0
	vmovups	%ymm0, 720(%rsp)
	vmovups	%ymm0, 744(%rsp)
	movq	%rax, 128(%rsp)
	vzeroupper
	callq	*%r15
	testl	%eax, %eax
	jne	.LBB1_33
	cmpq	$8, 744(%rsp)
	jne	.LBB1_33
	movq	192(%rsp), %rdi
	movq	%r13, 120(%rsp)
	movq	720(%rsp), %r13
	movq	752(%rsp), %rbp
	leaq	448(%rsp), %rsi
	vxorps	%xmm0, %xmm0, %xmm0
	vmovups	%ymm0, 448(%rsp)
	vmovups	%ymm0, 472(%rsp)
	vzeroupper
	callq	*%r15
	testl	%eax, %eax
	jne	.LBB1_34
	cmpq	$8, 472(%rsp)
	jne	.LBB1_34
	movq	448(%rsp), %rax
	movq	480(%rsp), %rcx
	movq	184(%rsp), %rdi
	leaq	304(%rsp), %rsi
	vxorps	%xmm0, %xmm0, %xmm0
	vmovups	%ymm0, 304(%rsp)
	vmovups	%ymm0, 328(%rsp)
	movq	%rax, 48(%rsp)
	movq	488(%rsp), %rax
	movq	%rcx, 112(%rsp)
	movq	%rax, 104(%rsp)
	vzeroupper
	callq	*%r15
	testl	%eax, %eax
	jne	.LBB1_35
	cmpq	$8, 328(%rsp)
	jne	.LBB1_35
	movq	304(%rsp), %rax
	movq	336(%rsp), %rcx
	movq	176(%rsp), %rdi
	leaq	240(%rsp), %rsi
	vxorps	%xmm0, %xmm0, %xmm0
	vmovups	%ymm0, 240(%rsp)
	vmovups	%ymm0, 264(%rsp)
	movq	%rax, 24(%rsp)
	movq	344(%rsp), %rax
	movq	%rcx, 96(%rsp)
	movq	%rax, 88(%rsp)
	vzeroupper
	callq	*%r15
	testl	%eax, %eax
	jne	.LBB1_36
	cmpq	$8, 264(%rsp)
	jne	.LBB1_36
	movq	240(%rsp), %rax
	movq	168(%rsp), %rdi
	movq	%r13, 32(%rsp)
	movq	%r14, 40(%rsp)
	movq	272(%rsp), %r13
	movq	280(%rsp), %r14
	leaq	368(%rsp), %rsi
	vxorps	%xmm0, %xmm0, %xmm0
	vmovups	%ymm0, 368(%rsp)
	vmovups	%ymm0, 392(%rsp)
	movq	%rax, 16(%rsp)
	vzeroupper
	callq	*%r15
	testl	%eax, %eax
	jne	.LBB1_37
	cmpq	$8, 392(%rsp)
	jne	.LBB1_37
	vmovaps	400(%rsp), %xmm0
	movq	368(%rsp), %r15
	movabsq	$PyEval_SaveThread, %rax
	movq	%r15, 80(%rsp)
	vmovaps	%xmm0, 432(%rsp)
	callq	*%rax
	movq	%r12, %rdx
	movq	56(%rsp), %r12
	movq	%rbx, %rcx
	movq	%rbx, 72(%rsp)
	movq	%rax, %rbx
	subq	$496, %rsp
	.cfi_adjust_cfa_offset 496
	vmovaps	928(%rsp), %xmm0
	vmovups	%xmm0, 464(%rsp)
	movq	%r14, 416(%rsp)
	movq	%r13, 408(%rsp)
	movq	%r15, 432(%rsp)
	movq	%rbp, 240(%rsp)
	movq	%rcx, 96(%rsp)
	movq	%r12, 40(%rsp)
	movq	%rdx, %rbp
	movq	592(%rsp), %rsi
	movq	600(%rsp), %rdi
	movq	584(%rsp), %rax
	movq	544(%rsp), %r15
	movq	528(%rsp), %r13
	movq	536(%rsp), %r14
	movq	%rsi, 352(%rsp)
	movq	608(%rsp), %rsi
	movq	%rdi, 304(%rsp)
	movq	624(%rsp), %rdi
	movq	%rax, 360(%rsp)
	movabsq	$_ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE, %rax
	movq	%r15, 264(%rsp)
	movq	%r13, 208(%rsp)
	movq	%r14, 152(%rsp)
	movq	%rsi, 296(%rsp)
	movq	640(%rsp), %rsi
	movq	%rdi, 184(%rsp)
	movq	648(%rsp), %rdi
	movq	%rsi, 136(%rsp)
	movq	496(%rsp), %rsi
	movq	%rdi, 128(%rsp)
	movq	504(%rsp), %rdi
	movq	%rsi, 80(%rsp)
	movq	512(%rsp), %rsi
	movq	%rdi, 72(%rsp)
	movq	520(%rsp), %rdi
	movq	%rsi, 376(%rsp)
	movq	656(%rsp), %rsi
	movq	%rdi, 320(%rsp)
	movq	632(%rsp), %rdi
	movq	%rsi, 16(%rsp)
	movq	616(%rsp), %rsi
	movq	%rdi, 8(%rsp)
	leaq	1128(%rsp), %rdi
	movq	%rsi, (%rsp)
	leaq	560(%rsp), %rsi
	callq	*%rax
	addq	$496, %rsp
	.cfi_adjust_cfa_offset -496
	movq	64(%rsp), %rcx
	movl	%eax, 8(%rsp)
	movabsq	$PyEval_RestoreThread, %rax
	movq	%rbx, %rdi
	movq	%rcx, (%rsp)
	callq	*%rax
	movabsq	$NRT_decref, %rbx
	movq	%rbp, %rdi
	callq	*%rbx
	movq	%r12, %rdi
	callq	*%rbx
	movq	72(%rsp), %rdi
	callq	*%rbx
	movq	%r14, %rdi
	callq	*%rbx
	movq	%r13, %rdi
	callq	*%rbx
	movq	%r15, %rdi
	callq	*%rbx
	movq	24(%rsp), %rdi
	callq	*%rbx
	movq	16(%rsp), %rdi
	callq	*%rbx
	movq	80(%rsp), %rdi
	callq	*%rbx
	cmpl	$0, 8(%rsp)
	jne	.LBB1_23
	movabsq	$_Py_NoneStruct, %rbx
	movabsq	$Py_IncRef, %rax
	movq	%rbx, %rdi
	callq	*%rax
.LBB1_22:
	movq	%rbx, %rax
	addq	$840, %rsp
	.cfi_def_cfa_offset 56
	popq	%rbx
	.cfi_def_cfa_offset 48
	popq	%r12
	.cfi_def_cfa_offset 40
	popq	%r13
	.cfi_def_cfa_offset 32
	popq	%r14
	.cfi_def_cfa_offset 24
	popq	%r15
	.cfi_def_cfa_offset 16
	popq	%rbp
	.cfi_def_cfa_offset 8
	vzeroupper
	retq
.LBB1_23:
	.cfi_def_cfa_offset 896
	movabsq	$PyErr_Clear, %rax
	callq	*%rax
	movq	(%rsp), %r14
	movl	8(%r14), %esi
	movq	(%r14), %rdi
	cmpl	$0, 32(%r14)
	jle	.LBB1_46
	movslq	%esi, %rsi
	movabsq	$PyBytes_FromStringAndSize, %rax
	callq	*%rax
	movq	16(%r14), %rdi
	movq	%rax, %rbx
	callq	*24(%r14)
	testq	%rax, %rax
	je	.LBB1_50
	movabsq	$numba_runtime_build_excinfo_struct, %rcx
	movq	%rbx, %rdi
	movq	%rax, %rsi
	callq	*%rcx
	movabsq	$NRT_Free, %r15
	movq	%r14, %rdi
	movq	%rax, %rbx
	callq	*%r15
	jmp	.LBB1_47
.LBB1_26:
	movabsq	$PyExc_RuntimeError, %rdi
	movabsq	$".const.missing Environment: _ZN08NumbaEnv8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE", %rsi
.LBB1_27:
	movabsq	$PyErr_SetString, %rax
	vzeroupper
	callq	*%rax
	xorl	%ebx, %ebx
	jmp	.LBB1_22
.LBB1_28:
	movabsq	$PyExc_TypeError, %rdi
	movabsq	$".const.can't unbox array from PyObject into native value.  The object maybe of a different type", %rsi
	movabsq	$PyErr_SetString, %rax
	callq	*%rax
	testb	%bl, %bl
	je	.LBB1_4
	jmp	.LBB1_29
.LBB1_30:
	movabsq	$PyExc_TypeError, %rdi
	movabsq	$".const.can't unbox array from PyObject into native value.  The object maybe of a different type", %rsi
	movabsq	$PyErr_SetString, %rax
	callq	*%rax
	jmp	.LBB1_44
.LBB1_31:
	movabsq	$PyExc_TypeError, %rdi
	movabsq	$".const.can't unbox array from PyObject into native value.  The object maybe of a different type", %rsi
	movabsq	$PyErr_SetString, %rax
	callq	*%rax
	jmp	.LBB1_43
.LBB1_32:
	movabsq	$PyExc_TypeError, %rdi
	movabsq	$".const.can't unbox array from PyObject into native value.  The object maybe of a different type", %rsi
	movabsq	$PyErr_SetString, %rax
	callq	*%rax
	jmp	.LBB1_42
.LBB1_33:
	movabsq	$PyExc_TypeError, %rdi
	movabsq	$".const.can't unbox array from PyObject into native value.  The object maybe of a different type", %rsi
	movabsq	$PyErr_SetString, %rax
	callq	*%rax
	jmp	.LBB1_41
.LBB1_34:
	movabsq	$PyExc_TypeError, %rdi
	movabsq	$".const.can't unbox array from PyObject into native value.  The object maybe of a different type", %rsi
	movabsq	$PyErr_SetString, %rax
	callq	*%rax
	jmp	.LBB1_40
.LBB1_35:
	movabsq	$PyExc_TypeError, %rdi
	movabsq	$".const.can't unbox array from PyObject into native value.  The object maybe of a different type", %rsi
	movabsq	$PyErr_SetString, %rax
	callq	*%rax
	jmp	.LBB1_39
.LBB1_36:
	movabsq	$PyExc_TypeError, %rdi
	movabsq	$".const.can't unbox array from PyObject into native value.  The object maybe of a different type", %rsi
	movabsq	$PyErr_SetString, %rax
	callq	*%rax
	jmp	.LBB1_38
.LBB1_37:
	movabsq	$PyExc_TypeError, %rdi
	movabsq	$".const.can't unbox array from PyObject into native value.  The object maybe of a different type", %rsi
	movabsq	$PyErr_SetString, %rax
	callq	*%rax
	movq	16(%rsp), %rdi
	movabsq	$NRT_decref, %rax
	callq	*%rax
	movq	40(%rsp), %r14
	movq	32(%rsp), %r13
.LBB1_38:
	movq	24(%rsp), %rdi
	movabsq	$NRT_decref, %rax
	callq	*%rax
.LBB1_39:
	movq	48(%rsp), %rdi
	movabsq	$NRT_decref, %rax
	callq	*%rax
.LBB1_40:
	movabsq	$NRT_decref, %rax
	movq	%r13, %rdi
	callq	*%rax
.LBB1_41:
	movabsq	$NRT_decref, %rax
	movq	%r14, %rdi
	callq	*%rax
.LBB1_42:
	movabsq	$NRT_decref, %rax
	movq	%rbx, %rdi
	callq	*%rax
.LBB1_43:
	movq	56(%rsp), %rdi
	movabsq	$NRT_decref, %rax
	callq	*%rax
.LBB1_44:
	movabsq	$NRT_decref, %rax
	movq	%r12, %rdi
.LBB1_45:
	callq	*%rax
	xorl	%ebx, %ebx
	jmp	.LBB1_22
.LBB1_46:
	movq	16(%r14), %rdx
	movabsq	$numba_unpickle, %rax
	callq	*%rax
	movq	%rax, %rbx
.LBB1_47:
	testq	%rbx, %rbx
	je	.LBB1_29
	movabsq	$numba_do_raise, %rax
	movq	%rbx, %rdi
	jmp	.LBB1_45
.LBB1_29:
	xorl	%ebx, %ebx
	jmp	.LBB1_22
.LBB1_50:
	movabsq	$PyExc_RuntimeError, %rdi
	movabsq	$".const.Error creating Python tuple from runtime exception arguments", %rsi
	jmp	.LBB1_27
.Lfunc_end1:
	.size	_ZN7cpython8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE, .Lfunc_end1-_ZN7cpython8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE
	.cfi_endproc

	.globl	cfunc._ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE
	.p2align	4
	.type	cfunc._ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE,@function
cfunc._ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE:
	.cfi_startproc
	pushq	%r15
	.cfi_def_cfa_offset 16
	pushq	%r14
	.cfi_def_cfa_offset 24
	pushq	%r13
	.cfi_def_cfa_offset 32
	pushq	%r12
	.cfi_def_cfa_offset 40
	pushq	%rbx
	.cfi_def_cfa_offset 48
	subq	$512, %rsp
	.cfi_def_cfa_offset 560
	.cfi_offset %rbx, -48
	.cfi_offset %r12, -40
	.cfi_offset %r13, -32
	.cfi_offset %r14, -24
	.cfi_offset %r15, -16
	vmovups	616(%rsp), %xmm0
	vmovaps	672(%rsp), %xmm1
	vmovups	840(%rsp), %xmm2
	vmovaps	896(%rsp), %xmm3
	vmovups	952(%rsp), %xmm4
	vmovaps	1008(%rsp), %xmm5
	movq	%rdi, %rdx
	movq	560(%rsp), %rax
	movq	640(%rsp), %rsi
	movq	696(%rsp), %rdi
	movq	728(%rsp), %r10
	movq	752(%rsp), %r11
	movq	784(%rsp), %rbx
	movq	808(%rsp), %r14
	movq	864(%rsp), %r15
	movq	920(%rsp), %r12
	movq	976(%rsp), %r13
	movq	584(%rsp), %rcx
	movq	$0, 504(%rsp)
	movq	$0, 496(%rsp)
	vmovups	%xmm5, 464(%rsp)
	movq	%r13, 432(%rsp)
	vmovups	%xmm4, 408(%rsp)
	movq	%r12, 376(%rsp)
	vmovups	%xmm3, 352(%rsp)
	movq	%r15, 320(%rsp)
	vmovups	%xmm2, 296(%rsp)
	movq	%rdi, 152(%rsp)
	movq	%r14, 264(%rsp)
	movq	%rbx, 240(%rsp)
	movq	%r11, 208(%rsp)
	movq	%r10, 184(%rsp)
	vmovups	%xmm1, 128(%rsp)
	movq	%rsi, 96(%rsp)
	vmovups	%xmm0, 72(%rsp)
	movq	%rax, 16(%rsp)
	movabsq	$_ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE, %rax
	leaq	504(%rsp), %rdi
	leaq	496(%rsp), %rsi
	movq	%rcx, 40(%rsp)
	movq	%r9, 8(%rsp)
	movq	%r8, (%rsp)
	callq	*%rax
	movl	%eax, %ecx
	movq	496(%rsp), %rbx
	movq	504(%rsp), %rax
	movl	$0, 492(%rsp)
	testl	%ecx, %ecx
	jne	.LBB2_1
.LBB2_7:
	addq	$512, %rsp
	.cfi_def_cfa_offset 48
	popq	%rbx
	.cfi_def_cfa_offset 40
	popq	%r12
	.cfi_def_cfa_offset 32
	popq	%r13
	.cfi_def_cfa_offset 24
	popq	%r14
	.cfi_def_cfa_offset 16
	popq	%r15
	.cfi_def_cfa_offset 8
	retq
.LBB2_1:
	.cfi_def_cfa_offset 560
	movabsq	$numba_gil_ensure, %r14
	leaq	492(%rsp), %rdi
	movq	%rax, %r15
	callq	*%r14
	movabsq	$PyErr_Clear, %rax
	callq	*%rax
	movl	8(%rbx), %esi
	movq	(%rbx), %rdi
	cmpl	$0, 32(%rbx)
	jle	.LBB2_4
	movslq	%esi, %rsi
	movabsq	$PyBytes_FromStringAndSize, %rax
	callq	*%rax
	movq	16(%rbx), %rdi
	movq	%rax, %r14
	callq	*24(%rbx)
	testq	%rax, %rax
	je	.LBB2_3
	movabsq	$numba_runtime_build_excinfo_struct, %rcx
	movq	%r14, %rdi
	movq	%rax, %rsi
	callq	*%rcx
	movabsq	$NRT_Free, %r12
	movq	%rbx, %rdi
	movq	%rax, %r14
	callq	*%r12
	jmp	.LBB2_5
.LBB2_4:
	movq	16(%rbx), %rdx
	movabsq	$numba_unpickle, %rax
	callq	*%rax
	movq	%rax, %r14
.LBB2_5:
	testq	%r14, %r14
	je	.LBB2_6
	movabsq	$numba_do_raise, %rax
	movq	%r14, %rdi
	callq	*%rax
.LBB2_6:
	movabsq	$".const.<numba.core.cpu.CPUContext>", %rdi
	movabsq	$PyUnicode_FromString, %rax
	callq	*%rax
	movabsq	$PyErr_WriteUnraisable, %r14
	movq	%rax, %rbx
	movq	%rbx, %rdi
	callq	*%r14
	movabsq	$Py_DecRef, %rax
	movq	%rbx, %rdi
	callq	*%rax
	movabsq	$numba_gil_release, %rax
	leaq	492(%rsp), %rdi
	callq	*%rax
	movq	%r15, %rax
	jmp	.LBB2_7
.LBB2_3:
	movabsq	$PyExc_RuntimeError, %rdi
	movabsq	$".const.Error creating Python tuple from runtime exception arguments.1", %rsi
	movabsq	$PyErr_SetString, %rax
	callq	*%rax
	xorl	%eax, %eax
	jmp	.LBB2_7
.Lfunc_end2:
	.size	cfunc._ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE, .Lfunc_end2-cfunc._ZN8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE
	.cfi_endproc

	.weak	NRT_incref
	.p2align	4
	.type	NRT_incref,@function
NRT_incref:
	testq	%rdi, %rdi
	je	.LBB3_2
	lock		incq	(%rdi)
.LBB3_2:
	retq
.Lfunc_end3:
	.size	NRT_incref, .Lfunc_end3-NRT_incref

	.weak	NRT_decref
	.p2align	4
	.type	NRT_decref,@function
NRT_decref:
	.cfi_startproc
	testq	%rdi, %rdi
	je	.LBB4_2
	#MEMBARRIER
	lock		decq	(%rdi)
	je	.LBB4_3
.LBB4_2:
	retq
.LBB4_3:
	movabsq	$NRT_MemInfo_call_dtor, %rax
	#MEMBARRIER
	jmpq	*%rax
.Lfunc_end4:
	.size	NRT_decref, .Lfunc_end4-NRT_decref
	.cfi_endproc

	.type	.const.pickledata.4b35ba8af2682dbaf044af47e894dd2cb1385034,@object
	.section	.lrodata,"al",@progbits
	.p2align	4, 0x0
.const.pickledata.4b35ba8af2682dbaf044af47e894dd2cb1385034:
	.ascii	"\200\004\225B\000\000\000\000\000\000\000\214\bbuiltins\224\214\021ZeroDivisionError\224\223\224\214\030integer division by zero\224\205\224N\207\224."
	.size	.const.pickledata.4b35ba8af2682dbaf044af47e894dd2cb1385034, 77

	.type	.const.pickledata.4b35ba8af2682dbaf044af47e894dd2cb1385034.sha1,@object
	.p2align	4, 0x0
.const.pickledata.4b35ba8af2682dbaf044af47e894dd2cb1385034.sha1:
	.ascii	"K5\272\212\362h-\272\360D\257G\350\224\335,\2618P4"
	.size	.const.pickledata.4b35ba8af2682dbaf044af47e894dd2cb1385034.sha1, 20

	.type	.const.picklebuf.4b35ba8af2682dbaf044af47e894dd2cb1385034,@object
	.p2align	4, 0x0
.const.picklebuf.4b35ba8af2682dbaf044af47e894dd2cb1385034:
	.quad	.const.pickledata.4b35ba8af2682dbaf044af47e894dd2cb1385034
	.long	77
	.zero	4
	.quad	.const.pickledata.4b35ba8af2682dbaf044af47e894dd2cb1385034.sha1
	.quad	0
	.long	0
	.zero	4
	.size	.const.picklebuf.4b35ba8af2682dbaf044af47e894dd2cb1385034, 40

	.type	.const.loop,@object
.const.loop:
	.asciz	"loop"
	.size	.const.loop, 5

	.type	_ZN08NumbaEnv8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE,@object
	.comm	_ZN08NumbaEnv8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE,8,8
	.type	".const.missing Environment: _ZN08NumbaEnv8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE",@object
	.p2align	4, 0x0
".const.missing Environment: _ZN08NumbaEnv8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE":
	.asciz	"missing Environment: _ZN08NumbaEnv8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE"
	.size	".const.missing Environment: _ZN08NumbaEnv8__main__4loopB2v1B52c8tJTIeFIjxB2IKSgI4CrvSCKg1MMfAwK4LJISUWsIgmAA_3d_3dE5ArrayIfLi2E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIdLi1E1C7mutable7alignedE5ArrayIxLi1E1C7mutable7alignedE", 388

	.type	".const.can't unbox array from PyObject into native value.  The object maybe of a different type",@object
	.p2align	4, 0x0
".const.can't unbox array from PyObject into native value.  The object maybe of a different type":
	.asciz	"can't unbox array from PyObject into native value.  The object maybe of a different type"
	.size	".const.can't unbox array from PyObject into native value.  The object maybe of a different type", 89

	.type	".const.Error creating Python tuple from runtime exception arguments",@object
	.p2align	4, 0x0
".const.Error creating Python tuple from runtime exception arguments":
	.asciz	"Error creating Python tuple from runtime exception arguments"
	.size	".const.Error creating Python tuple from runtime exception arguments", 61

	.type	".const.Error creating Python tuple from runtime exception arguments.1",@object
	.p2align	4, 0x0
".const.Error creating Python tuple from runtime exception arguments.1":
	.asciz	"Error creating Python tuple from runtime exception arguments"
	.size	".const.Error creating Python tuple from runtime exception arguments.1", 61

	.type	".const.<numba.core.cpu.CPUContext>",@object
	.p2align	4, 0x0
".const.<numba.core.cpu.CPUContext>":
	.asciz	"<numba.core.cpu.CPUContext>"
	.size	".const.<numba.core.cpu.CPUContext>", 28

	.type	_ZN08NumbaEnv5numba7cpython8builtins6ol_min12_3clocals_3e4implB2v3B42c8tJTIeFIjxB2IKSgI4CrvQClcaMQ5hEEUSJJgA_3dE15StarArgUniTupleIxLi2EE,@object
	.comm	_ZN08NumbaEnv5numba7cpython8builtins6ol_min12_3clocals_3e4implB2v3B42c8tJTIeFIjxB2IKSgI4CrvQClcaMQ5hEEUSJJgA_3dE15StarArgUniTupleIxLi2EE,8,8
	.section	".note.GNU-stack","",@progbits
