/* glob.bpf.c - global variables: .data, .bss, .rodata (const volatile
 * scalars, an array, a string) and a string literal's .rodata.str1.1,
 * read and written by a program. */
#include "kc.h"

const volatile __u32 ro_mult = 3;
const volatile __u64 ro_add = 0x100000001ull;
const volatile char ro_name[8] = "kcmp";
const volatile __u16 ro_tab[4] = { 11, 22, 33, 44 };

__u64 data_cnt = 100;
__u32 data_arr[4] = { 1, 2, 3, 4 };
char data_str[6] = "hello";

__u64 bss_sum;
__u32 bss_hist[8];
__u8 bss_last[4];

SEC("xdp")
int kc_glob(struct xdp_md *ctx)
{
	unsigned char *d = kc_pkt(ctx, KC_MIN);
	__u32 b;

	if (!d)
		return 0;
	b = d[KC_PAYLOAD + 1];
	data_cnt += ro_mult;
	data_arr[b & 3] ^= b * ro_mult;
	data_str[(b >> 2) & 3] = ro_name[b & 3];
	bss_sum += b * ro_add + ro_tab[b & 3];
	bss_hist[d[KC_IP_DST + 3] & 7]++;
	__builtin_memcpy(bss_last, d + KC_IP_SRC, 4);
	return ro_name[0] + ro_name[3] + ro_tab[b & 3] + data_str[0];
}

char LICENSE[] SEC("license") = "GPL";
