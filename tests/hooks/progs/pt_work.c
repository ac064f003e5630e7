/* pt_work.c - the workload of tests/hooks/ptrace.c, built with
 * gcc -static (the agent cannot be preloaded into it):
 * Every mode makes one getpid first (its own pid), then:
 *   getpid N [STATUS]   N getpid syscalls, then exit STATUS (default 0)
 *   threads T N         T threads doing N getpid each
 *   spawn N             fork a child that execs "getpid N 3"; N getpid
 *                       here; exit with the child's status
 *   pspawn N            the same child through posix_spawn (glibc: clone
 *                       with CLONE_VM|CLONE_VFORK), no getpid here
 *   ctx DIR             open DIR/file, getppid, gettid (hooks' ctx.bpf.c)
 *   fexec FILE ARGS...  fexecve FILE (opened O_CLOEXEC: execveat with
 *                       AT_EMPTY_PATH) with ARGS as its argv
 *   loop FILE           two threads call getpid every millisecond until
 *                       SIGUSR1; exit 5 if getpid still answers right
 *                       (FILE is created once running); SIGUSR2
 *                       starts a third thread (once)
 */
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t done, more;
static long n_iter;
static pid_t self;
extern char **environ;

static void on_usr1(int sig)
{
	(void)sig;
	done = 1;
}

static void on_usr2(int sig)
{
	(void)sig;
	more = 1;
}

static void *worker(void *arg)
{
	long bad = 0;

	(void)arg;
	for (long i = 0; i < n_iter; i++)
		bad += syscall(SYS_getpid) != self;
	return (void *)bad;
}

static void *looper(void *arg)
{
	struct timespec ms = { 0, 1000000 };
	long bad = 0;

	(void)arg;
	while (!done) {
		bad += syscall(SYS_getpid) <= 0;
		nanosleep(&ms, NULL);
	}
	return (void *)bad;
}

int main(int argc, char **argv)
{
	self = (pid_t)syscall(SYS_getpid);
	if (self <= 0)
		return 2;
	if (argc >= 4 && !strcmp(argv[1], "fexec")) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			fexecve(fd, argv + 3, environ);
		return 126;
	}
	if (argc >= 3 && !strcmp(argv[1], "getpid")) {
		long n = atol(argv[2]);

		for (long i = 0; i < n; i++)
			syscall(SYS_getpid);
		return argc > 3 ? atoi(argv[3]) : 0;
	}
	if (argc == 4 && !strcmp(argv[1], "threads")) {
		int t = atoi(argv[2]);
		pthread_t th[64];
		long bad = 0;

		n_iter = atol(argv[3]);
		for (int i = 0; i < t && i < 64; i++)
			if (pthread_create(&th[i], NULL, worker, NULL))
				return 2;
		for (int i = 0; i < t && i < 64; i++) {
			void *r;

			pthread_join(th[i], &r);
			bad += (long)r;
		}
		printf("threads bad=%ld\n", bad);
		return bad ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "spawn")) {
		pid_t k = fork();
		int st;

		if (k == 0) {
			execl(argv[0], argv[0], "getpid", argv[2], "3", (char *)NULL);
			_exit(99);
		}
		for (long i = 0, n = atol(argv[2]); i < n; i++)
			syscall(SYS_getpid);
		if (k < 0 || waitpid(k, &st, 0) != k || !WIFEXITED(st))
			return 1;
		return WEXITSTATUS(st);
	}
	if (argc == 3 && !strcmp(argv[1], "pspawn")) {
		char *cargv[] = { argv[0], "getpid", argv[2], "3", NULL };
		pid_t k;
		int st;

		if (posix_spawn(&k, argv[0], NULL, NULL, cargv, environ) || waitpid(k, &st, 0) != k ||
		    !WIFEXITED(st))
			return 1;
		return WEXITSTATUS(st);
	}
	if (argc == 3 && !strcmp(argv[1], "ctx")) {
		char path[256];
		int fd;

		snprintf(path, sizeof(path), "%s/file", argv[2]);
		fd = open(path, O_RDONLY);
		printf("opened %s fd_ok=%d\n", path, fd >= 0);
		printf("child-ppid %ld\n", (long)getppid());
		printf("child-tid %ld\n", (long)syscall(SYS_gettid));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "loop")) {
		struct sigaction sa;
		pthread_t th;
		void *r;
		long bad = 0;
		FILE *f;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		sa.sa_handler = on_usr2;
		sigaction(SIGUSR2, &sa, NULL);
		if (pthread_create(&th, NULL, looper, NULL))
			return 2;
		f = fopen(argv[2], "w");
		if (f)
			fclose(f);
		{
			struct timespec ms = { 0, 1000000 };
			pthread_t th3;
			bool third = false;

			while (!done) {
				bad += syscall(SYS_getpid) <= 0;
				nanosleep(&ms, NULL);
				if (more && !third) {
					third = !pthread_create(&th3, NULL, looper, NULL);
					bad += !third;
				}
			}
			if (third) {
				pthread_join(th3, &r);
				bad += (long)r;
			}
		}
		pthread_join(th, &r);
		bad += (long)r;
		return bad || syscall(SYS_getpid) != self ? 1 : 5;
	}
	fprintf(stderr, "usage: pt_work getpid N [STATUS] | threads T N | spawn N | ctx DIR | loop FILE\n");
	return 2;
}
