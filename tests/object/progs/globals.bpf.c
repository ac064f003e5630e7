/* SPDX-License-Identifier: MIT */
/* globals.bpf.c - uses a global variable, which this build refuses by name. */
#define SEC(name) __attribute__((section(name), used))
unsigned long long counter;

SEC("xdp")
int count(void *ctx)
{
	counter++;
	return 2;
}
