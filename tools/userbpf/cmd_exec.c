/* SPDX-License-Identifier: MIT */
/*
 * cmd_exec.c - `userbpf exec` and `userbpf run`: syscall tracepoints.
 *
 *   exec [--ptrace] [--argv0 NAME] [--] CMD ARGS...
 *                           runs CMD with the agent preloaded, so that CMD
 *                           and its descendants run the programs of every
 *                           link in the store root, now or attached later;
 *                           a static or setuid CMD (where LD_PRELOAD does
 *                           not reach), or any with --ptrace, runs under
 *                           the ptrace tracer (src/hooks/ptrace.c) instead.
 *                           --argv0: CMD gets NAME as its argv[0] (the
 *                           agent execs `exec --ptrace --argv0 ARGV0 --
 *                           PATH ARGS...` in place of a static or setuid
 *                           program, keeping the pid, so the tracer takes
 *                           it; USERBPF_CLI names this program for it)
 *   exec --pid PID          takes in the running process PID (its threads
 *                           and later children) with the tracer, until it
 *                           exits or this command gets SIGINT/SIGTERM,
 *                           which detaches it unharmed
 *                           (USERBPF_PTRACE_NO_FILTER=1: the tracer stops
 *                           every syscall instead of installing a filter;
 *                           for tests and measurements)
 *   run OBJ [-- CMD ARGS...]
 *                           links every syscall-tracepoint program of OBJ,
 *                           runs CMD under exec (none: waits for Ctrl-C),
 *                           prints the trace pipe, removes the links and
 *                           exits with CMD's status
 *
 * The agent (libuserbpf-agent.so) is found through $USERBPF_AGENT, else
 * next to this program.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cmd_exec(const struct cli *c, int argc, char **argv);
int cmd_run(const struct cli *c, int argc, char **argv);

#if defined(__linux__)
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hooks/hooks.h"

static int find_agent(char *buf, size_t sz)
{
	const char *env = getenv("USERBPF_AGENT");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && env[0]) {
		if (access(env, R_OK)) {
			cli_err("USERBPF_AGENT=%s: %s", env, strerror(errno));
			return -ENOENT;
		}
		snprintf(buf, sz, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			if (strlen(self) + 24 < sz) {
				memcpy(buf, self, strlen(self));
				memcpy(buf + strlen(self), "/libuserbpf-agent.so", 21);
				if (!access(buf, R_OK))
					return 0;
			}
		}
	}
	cli_err("cannot find libuserbpf-agent.so next to the userbpf program; set USERBPF_AGENT");
	return -ENOENT;
}

/* Sets the environment of a traced command: the agent first in
 * LD_PRELOAD, the store root, and USERBPF_CLI (this program, absolute),
 * which the agent execs to hand a static or setuid program to the
 * tracer. */
static int exec_env(char *root, size_t root_sz)
{
	char agent[PATH_MAX], pre[2 * PATH_MAX + 16], self[PATH_MAX];
	const char *old = getenv("LD_PRELOAD");
	int err = find_agent(agent, sizeof(agent));
	ssize_t n;

	if (err)
		return err;
	err = ub_store_root(root, root_sz);
	if (err) {
		cli_err("store root '%s': %s", root, strerror(-err));
		return err;
	}
	if (old && old[0] && !strstr(old, agent))
		snprintf(pre, sizeof(pre), "%s:%s", agent, old);
	else
		snprintf(pre, sizeof(pre), "%s", agent);
	setenv("LD_PRELOAD", pre, 1);
	setenv("USERBPF_AGENT", agent, 1);
	setenv("USERBPF_ROOT", root, 1);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0 && self[0] == '/') {
		self[n] = 0;
		setenv("USERBPF_CLI", self, 1);
	}
	return 0;
}

static void tracer_log(enum userbpf_log_level level, const char *msg, void *user)
{
	(void)user;
	fprintf(stderr, "%s: %s\n", level == USERBPF_LOG_WARN ? "Warning" : "Note", msg);
}

/* Finds cmd as execvp would (PATH when it has no slash).  Returns 0, or
 * an errno after which execvp would fail too. */
static int resolve(const char *cmd, char *out, size_t sz)
{
	const char *path = getenv("PATH");
	int err = ENOENT;

	if (strchr(cmd, '/')) {
		snprintf(out, sz, "%s", cmd);
		return access(out, X_OK) ? errno : 0;
	}
	if (!path)
		path = "/bin:/usr/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(out, sz, "%.*s%s%s", (int)n, path, n ? "/" : "", cmd);
		if (!access(out, X_OK)) {
			struct stat st;

			if (!stat(out, &st) && S_ISREG(st.st_mode))
				return 0;
		} else if (errno == EACCES) {
			err = EACCES;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return err;
}

/* LD_PRELOAD without the agent: a process under the tracer must not run
 * the programs a second time in its dynamic descendants. */
static void strip_agent(void)
{
	const char *agent = getenv("USERBPF_AGENT"), *pre = getenv("LD_PRELOAD");
	char buf[4 * PATH_MAX], *w = buf;
	const char *p;

	if (!agent || !pre || !strstr(pre, agent))
		return;
	for (p = pre; *p;) {
		size_t n = strcspn(p, ": ");

		if (n && (n != strlen(agent) || strncmp(p, agent, n)) &&
		    (size_t)(w - buf) + n + 2 < sizeof(buf)) {
			if (w != buf)
				*w++ = ':';
			memcpy(w, p, n);
			w += n;
		}
		p += n;
		if (*p)
			p++;
	}
	*w = 0;
	if (w == buf)
		unsetenv("LD_PRELOAD");
	else
		setenv("LD_PRELOAD", buf, 1);
}

/*
 * Runs CMD traced: exec with the agent preloaded (does not return), or,
 * for a static or setuid program or with force_ptrace, under the tracer.
 * Returns CMD's status, or the CLI's when it could not start.
 */
static int exec_cmd(const struct cli *c, char **argv, bool force_ptrace, const char *argv0)
{
	char root[PATH_MAX], path[PATH_MAX];
	struct stat st;
	int err = resolve(argv[0], path, sizeof(path));

	if (err) {
		cli_err("cannot run '%s': %s", argv[0], strerror(err));
		return err == ENOENT ? 127 : 126;
	}
	if (argv0)
		argv[0] = (char *)argv0;	/* path is resolved: only the name changes */
	if (!force_ptrace && ub_elf_is_static(path) != 1 &&
	    (stat(path, &st) || !(st.st_mode & (S_ISUID | S_ISGID)))) {
		if (exec_env(root, sizeof(root)))
			return CLI_FAIL;
		execv(path, argv);
		cli_err("cannot run '%s': %s", argv[0], strerror(errno));
		return errno == ENOENT ? 127 : 126;
	}
	{
		struct ub_ptrace_opts o = { 0 };
		int rc;

		err = ub_store_root(root, sizeof(root));
		if (err) {
			cli_err("store root '%s': %s", root, strerror(-err));
			return CLI_FAIL;
		}
		strip_agent();
		o.root = root;
		o.log = tracer_log;
		o.log_level = c && c->debug ? USERBPF_LOG_DEBUG : USERBPF_LOG_WARN;
		o.no_filter = getenv("USERBPF_PTRACE_NO_FILTER") &&
			      !strcmp(getenv("USERBPF_PTRACE_NO_FILTER"), "1");
		rc = ub_ptrace_exec(&o, path, argv);
		if (rc == -ENOTSUP && !force_ptrace) {
			/* no tracer on this architecture: run it as before, untraced */
			fprintf(stderr, "Warning: '%s' is static or setuid and this build has no "
				"ptrace tracer: it runs untraced\n", argv[0]);
			execv(path, argv);
			cli_err("cannot run '%s': %s", argv[0], strerror(errno));
			return errno == ENOENT ? 127 : 126;
		}
		if (rc < 0) {
			cli_err("cannot trace '%s': %s", argv[0], strerror(-rc));
			return CLI_FAIL;
		}
		return rc;
	}
}

static int exec_pid(const struct cli *c, const char *arg)
{
	struct ub_ptrace_opts o = { 0 };
	char root[PATH_MAX], *end;
	long pid = strtol(arg, &end, 10);
	int err;

	if (!arg[0] || *end || pid <= 0 || pid > INT_MAX) {
		cli_err("exec --pid: '%s' is not a process id", arg);
		return CLI_USAGE;
	}
	err = ub_store_root(root, sizeof(root));
	if (err) {
		cli_err("store root '%s': %s", root, strerror(-err));
		return CLI_FAIL;
	}
	o.root = root;
	o.log = tracer_log;
	o.log_level = c && c->debug ? USERBPF_LOG_DEBUG : USERBPF_LOG_WARN;
	err = ub_ptrace_attach(&o, (int)pid);
	if (err) {
		cli_err("exec --pid %ld: %s", pid, strerror(-err));
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cmd_exec(const struct cli *c, int argc, char **argv)
{
	bool force_ptrace = false;
	const char *argv0 = NULL;
	int i = 0;

	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--ptrace")) {
			force_ptrace = true;
		} else if (!strcmp(argv[i], "--argv0")) {
			if (i + 1 >= argc) {
				cli_err("exec --argv0 needs a name: userbpf exec --argv0 NAME -- CMD ARGS...");
				return CLI_USAGE;
			}
			argv0 = argv[++i];
		} else if (!strcmp(argv[i], "--pid")) {
			if (i + 1 >= argc) {
				cli_err("exec --pid needs a process id: userbpf exec --pid PID");
				return CLI_USAGE;
			}
			if (i + 2 < argc || force_ptrace || argv0) {
				cli_err("exec --pid PID takes nothing else");
				return CLI_USAGE;
			}
			return exec_pid(c, argv[i + 1]);
		} else {
			cli_err("exec: unknown option '%s'", argv[i]);
			return CLI_USAGE;
		}
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		cli_err("exec needs a command: userbpf exec [--ptrace] [--argv0 NAME] -- CMD ARGS...");
		return CLI_USAGE;
	}
	return exec_cmd(c, argv + i, force_ptrace, argv0);
}

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

/* Copies what the trace pipe holds to stdout; returns bytes copied. */
static size_t drain(int fd)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		total += (size_t)n;
	}
	fflush(stdout);
	return total;
}

int cmd_run(const struct cli *c, int argc, char **argv)
{
	struct ub_link_rec *rec = NULL;
	struct userbpf_rt *rt = NULL;
	struct userbpf_obj *obj = NULL;
	char root[PATH_MAX], objpath[PATH_MAX], (*links)[PATH_MAX + 64] = NULL;
	char (*pins)[PATH_MAX + 64] = NULL;
	size_t nlinks = 0, cnt;
	int cmd = -1, pfd = -1, rc = CLI_FAIL, err;
	pid_t child = -1;
	struct sigaction sa;

	if (argc < 1) {
		cli_err("run needs an object file: userbpf run OBJ [-- CMD ARGS...]");
		return CLI_USAGE;
	}
	if (argc > 1) {
		if (strcmp(argv[1], "--") || argc < 3) {
			cli_err("run: expected '-- CMD ARGS...' after the object file");
			return CLI_USAGE;
		}
		cmd = 2;
	}
	if (!realpath(argv[0], objpath)) {
		cli_err("%s: %s", argv[0], strerror(errno));
		return CLI_FAIL;
	}
	rt = cli_rt(c);
	if (!rt)
		return CLI_FAIL;
	/* Load it here first, so a bad object fails now with the loader's
	 * message rather than in every traced process. */
	if (ub_hooks_stub_helpers(rt)) {
		cli_err("cannot register the tracing helpers");
		goto out;
	}
	obj = userbpf_obj__open_file(rt, objpath, NULL);
	if (!obj) {
		cli_err("%s: cannot open the object: %s", argv[0], strerror(errno));
		goto out;
	}
	if (userbpf_obj__load(obj)) {
		cli_err("%s: cannot load the object: %s", argv[0], strerror(errno));
		goto out;
	}
	cnt = userbpf_obj__prog_cnt(obj);
	rec = calloc(1, sizeof(*rec));
	links = calloc(cnt ? cnt : 1, sizeof(*links));
	pins = calloc(cnt ? cnt : 1, sizeof(*pins));
	if (!rec || !links || !pins) {
		cli_err("out of memory");
		goto out;
	}
	if (exec_env(root, sizeof(root)))
		goto out;
	/* The object's maps, pinned for the traced processes to share. */
	err = ub_link_pin_maps(obj, root, rec->maps, sizeof(rec->maps));
	if (err) {
		cli_err("%s: cannot pin the object's maps in %s: %s", argv[0], root, strerror(-err));
		rec->maps[0] = 0;
		goto out;
	}
	for (size_t i = 0; i < cnt; i++) {
		const char *sec = userbpf_obj__prog_section(obj, i), *name = userbpf_obj__prog_name(obj, i);
		struct ub_attach at;
		char why[160];

		err = ub_attach_parse(sec, &at, why, sizeof(why));
		if (err == -ENOENT) {
			fprintf(stderr, "Warning: %s: program '%s': section '%s' is not a syscall tracepoint; not attached\n",
				argv[0], name, sec);
			continue;
		}
		if (err) {
			cli_err("%s: program '%s': section '%s': %s", argv[0], name, sec, why);
			goto out;
		}
		err = ub_link_pin_prog(userbpf_obj__prog(obj, i), sec, root, pins[nlinks],
				       sizeof(pins[nlinks]));
		if (err) {
			cli_err("%s: program '%s': cannot pin it in %s: %s", argv[0], name, root,
				strerror(-err));
			pins[nlinks][0] = 0;
			goto out;
		}
		snprintf(rec->pin, sizeof(rec->pin), "%s", pins[nlinks]);
		snprintf(rec->obj, sizeof(rec->obj), "%s", objpath);
		snprintf(rec->prog, sizeof(rec->prog), "%s", name);
		snprintf(rec->attach, sizeof(rec->attach), "%s", at.canon);
		rec->owner = (long)getpid();
		err = ub_link_create(root, rec, links[nlinks], sizeof(links[nlinks]));
		if (err) {
			cli_err("%s: program '%s': cannot create the link in %s: %s", argv[0], name,
				root, strerror(-err));
			goto out;
		}
		nlinks++;
	}
	if (!nlinks) {
		cli_err("%s: no program with a syscall tracepoint section (tracepoint/syscalls/sys_enter_NAME, ...)",
			argv[0]);
		goto out;
	}
	{
		char pp[PATH_MAX + 16];

		snprintf(pp, sizeof(pp), "%s/trace_pipe", root);
		pfd = open(pp, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (pfd < 0) {
			cli_err("%s: %s", pp, strerror(errno));
			goto out;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fflush(stdout);
	if (cmd > 0) {
		child = fork();
		if (child < 0) {
			cli_err("fork: %s", strerror(errno));
			goto out;
		}
		if (!child) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			fflush(stdout);
			/* the agent, or the tracer for a static program */
			_exit(exec_cmd(c, argv + cmd, false, NULL));
		}
	}
	for (;;) {
		struct pollfd p = { pfd, POLLIN, 0 };
		int st;

		poll(&p, 1, 100);
		drain(pfd);
		if (child > 0) {
			pid_t w = waitpid(child, &st, WNOHANG);

			if (w == child) {
				drain(pfd);
				rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				break;
			}
		} else if (stop_sig) {
			drain(pfd);
			rc = CLI_OK;
			break;
		}
	}
out:
	for (size_t i = 0; i < nlinks; i++)
		ub_link_remove(root, links[i]);
	for (size_t i = 0; pins && i < cnt; i++)
		if (pins[i][0])
			unlink(pins[i]);
	free(pins);
	if (rec && rec->maps[0])
		ub_link_unpin_maps(rec->maps);
	if (pfd >= 0)
		close(pfd);
	free(links);
	free(rec);
	userbpf_obj__close(obj);
	userbpf_rt__free(rt);
	return rc;
}

#else
int cmd_exec(const struct cli *c, int argc, char **argv)
{
	(void)c; (void)argc; (void)argv;
	cli_err("exec: syscall tracing needs Linux");
	return CLI_FAIL;
}

int cmd_run(const struct cli *c, int argc, char **argv)
{
	(void)c; (void)argc; (void)argv;
	cli_err("run: syscall tracing needs Linux");
	return CLI_FAIL;
}
#endif
