/* SPDX-License-Identifier: MIT */
/*
 * multi.bpf.c - two programs in one section and one in another, sharing a
 * .text subprogram, plus a static callee in the program's own section:
 * checks that each program links its own copy of what it calls.
 */
#define SEC(name) __attribute__((section(name), used))
#define NOINLINE __attribute__((noinline))

NOINLINE unsigned long long shared_sq(unsigned long long x)
{
	return x * x + 1;
}

static NOINLINE unsigned long long local_twice(unsigned long long x)
{
	return shared_sq(x) * 2;
}

SEC("xdp")
unsigned long long first(unsigned long long a)
{
	return local_twice(a) + 3;
}

SEC("xdp")
unsigned long long second(unsigned long long a)
{
	return shared_sq(a + 1);
}

SEC("tracepoint/syscalls/sys_enter_execve")
unsigned long long third(unsigned long long a)
{
	return shared_sq(shared_sq(a));
}

char LICENSE[] SEC("license") = "GPL";
