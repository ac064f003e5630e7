/* hello_user.c - the user side of the hello world, written against
 * libbpf's API: open the object, find the program, load it, attach it,
 * print the trace pipe; on Ctrl-C (or SIGTERM) destroy the link and close
 * the object. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "trace_helpers.h"

static volatile int stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "hello_kern.o";
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	struct sigaction sa;
	int err = 1;

	obj = bpf_object__open_file(path, NULL);
	if (libbpf_get_error(obj)) {
		fprintf(stderr, "opening %s failed\n", path);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "hello");
	if (!prog) {
		fprintf(stderr, "no program 'hello' in %s\n", path);
		goto out;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "loading %s failed\n", path);
		goto out;
	}
	link = bpf_program__attach(prog);
	if (libbpf_get_error(link)) {
		fprintf(stderr, "attaching failed\n");
		link = NULL;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: the read returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "attached; reading the trace pipe (Ctrl-C to stop)\n");
	err = read_trace_pipe(&stop) ? 1 : 0;
out:
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return err;
}
