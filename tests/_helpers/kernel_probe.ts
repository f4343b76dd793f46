/**
 * Test helpers for the sandbox's kernel-state defences: `probe`, a C program
 * that makes one system call per argument and prints `OP: ok` or
 * `OP: strerror(errno)`, and `withpty`, which runs a command with a new
 * pseudo-terminal as its controlling terminal and prints what reached the
 * terminal's screen side. The command finds the terminal's name in
 * `KILN_TTY`.
 *
 * @module
 */

/** The C source of `probe`. Each argument is one operation; `tiocsti PATH` types `kiln-injected` into PATH. */
export const PROBE_C = `
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <termios.h>
#include <unistd.h>

static void report(const char *what, long r) {
  if (r < 0) printf("%s: %s\\n", what, strerror(errno));
  else printf("%s: ok\\n", what);
  fflush(stdout);
}

/* A call that may have made a child process: the child leaves at once. */
static void forked(const char *what, long r) {
  if (r == 0) _exit(0);
  if (r > 0) waitpid(r, NULL, __WALL);
  report(what, r);
}

static long inject(int fd) {
  const char *text = "kiln-injected\\n";
  for (const char *c = text; *c; c++) if (ioctl(fd, TIOCSTI, c) < 0) return -1;
  return 0;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *op = argv[i];
    errno = 0;
    if (!strcmp(op, "tiocsti")) {
      const char *path = argv[++i];
      int fd = open(path, O_RDWR | O_NOCTTY);
      if (fd < 0) { report(path, -1); continue; }
      report(op, inject(fd));
    } else if (!strcmp(op, "open-ro")) {
      const char *path = argv[++i];
      report(path, open(path, O_RDONLY | O_NOCTTY));
    } else if (!strcmp(op, "tiocsti-stdio")) {
      report("tiocsti 0", inject(0));
      report("tiocsti 1", inject(1));
    } else if (!strcmp(op, "tioclinux")) {
      char sub = 2;
      report(op, ioctl(0, TIOCLINUX, &sub));
    } else if (!strcmp(op, "own-pty")) {
      /* A terminal of the build's own: made its controlling terminal, then typed into. */
      int m = posix_openpt(O_RDWR | O_NOCTTY);
      if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) { report("posix_openpt", -1); continue; }
      pid_t pid = fork();
      if (pid == 0) {
        if (setsid() < 0) { report("setsid", -1); _exit(1); }
        int s = open(ptsname(m), O_RDWR);
        if (s < 0) { report("open slave", -1); _exit(1); }
        report("own-pty tiocsti", inject(s));
        _exit(0);
      }
      waitpid(pid, NULL, 0);
    } else if (!strcmp(op, "pty")) {
      int m = posix_openpt(O_RDWR | O_NOCTTY);
      if (m < 0) { report("posix_openpt", -1); continue; }
      if (grantpt(m) < 0 || unlockpt(m) < 0) { report("grantpt", -1); continue; }
      const char *name = ptsname(m);
      int s = open(name, O_RDWR | O_NOCTTY);
      if (s < 0) { report(name, -1); continue; }
      char buf[16] = {0};
      if (write(m, "ping\\n", 5) != 5 || read(s, buf, sizeof buf - 1) <= 0) { report("pty io", -1); continue; }
      printf("pty: %s %s", strncmp(name, "/dev/pts/", 9) ? "elsewhere" : "/dev/pts", buf);
      fflush(stdout);
    } else if (!strcmp(op, "tty")) {
      printf("isatty: %d %d %d\\n", isatty(0), isatty(1), isatty(2));
      int fd = open("/dev/tty", O_RDWR);
      report("/dev/tty", fd);
      printf("sid: %d\\n", (int)getsid(0));
      fflush(stdout);
    } else if (!strcmp(op, "add_key")) {
      report("add_key user", syscall(SYS_add_key, "user", "kiln-test-key", "secret", 6, KEY_SPEC_USER_KEYRING));
      report("add_key session", syscall(SYS_add_key, "user", "kiln-test-key", "secret", 6, KEY_SPEC_SESSION_KEYRING));
    } else if (!strcmp(op, "keyctl")) {
      report(op, syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
    } else if (!strcmp(op, "request_key")) {
      report(op, syscall(SYS_request_key, "user", "kiln-test-key", NULL, 0));
    } else if (!strcmp(op, "unshare")) {
      report(op, unshare(CLONE_NEWUSER));
    } else if (!strcmp(op, "clone-newuser")) {
      forked(op, syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
    } else if (!strcmp(op, "clone")) {
      forked(op, syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
    } else if (!strcmp(op, "fork")) {
      forked(op, fork());
    } else if (!strcmp(op, "clone3")) {
      char args[88] = {0};
      forked(op, syscall(SYS_clone3, args, sizeof args));
    } else if (!strcmp(op, "setns")) {
      report(op, setns(999, 0));
    } else if (!strcmp(op, "mount")) {
      report(op, mount("none", "/kiln-no-such-dir", "tmpfs", 0, NULL));
    } else if (!strcmp(op, "ptrace")) {
      report(op, ptrace(PTRACE_TRACEME, 0, 0, 0));
    } else if (!strcmp(op, "bpf")) {
      report(op, syscall(SYS_bpf, 1000, NULL, 0));
    } else if (!strcmp(op, "perf_event_open")) {
      report(op, syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
    } else if (!strcmp(op, "userfaultfd")) {
      report(op, syscall(SYS_userfaultfd, 0xffff));
    } else if (!strcmp(op, "io_uring_setup")) {
      report(op, syscall(SYS_io_uring_setup, 0, NULL));
    } else if (!strcmp(op, "init_module")) {
      static char image[64];
      report(op, syscall(SYS_init_module, image, sizeof image, ""));
    } else if (!strcmp(op, "open_by_handle_at")) {
      report(op, syscall(SYS_open_by_handle_at, -1, NULL, 0));
    } else if (!strcmp(op, "x32")) {
#if defined(__x86_64__)
      report(op, syscall(0x40000000 | SYS_getpid));
#else
      printf("x32: not x86_64\\n");
#endif
    } else if (!strcmp(op, "int80")) {
#if defined(__x86_64__)
      long r;
      __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "r8", "r9", "r10", "r11", "memory");
      if (r < 0 && r > -4096) { errno = -r; r = -1; }
      report(op, r);
#else
      printf("int80: not x86_64\\n");
#endif
    } else if (!strcmp(op, "udp")) {
      report(op, socket(AF_INET, SOCK_DGRAM, 0));
    } else if (!strcmp(op, "udp-send")) {
      int s = socket(AF_INET, SOCK_DGRAM, 0);
      if (s < 0) { report(op, -1); i++; continue; }
      struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[++i]))};
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      report(op, sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
    } else if (!strcmp(op, "tcp")) {
      report(op, socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    } else if (!strcmp(op, "sctp")) {
      report(op, socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP));
    } else if (!strcmp(op, "raw")) {
      report(op, socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
    } else if (!strcmp(op, "packet")) {
      report(op, socket(17 /* AF_PACKET */, SOCK_RAW, 0));
    } else if (!strcmp(op, "netlink")) {
      report(op, socket(AF_NETLINK, SOCK_RAW, 0));
    } else if (!strcmp(op, "socketpair")) {
      int sv[2];
      report(op, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    } else if (!strcmp(op, "unix-connect")) {
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      if (s < 0) { report(op, -1); i++; continue; }
      struct sockaddr_un a = {.sun_family = AF_UNIX};
      strncpy(a.sun_path, argv[++i], sizeof a.sun_path - 1);
      report(op, connect(s, (struct sockaddr *)&a, sizeof a));
    } else if (!strcmp(op, "fastopen")) {
      int s = socket(AF_INET, SOCK_STREAM, 0);
      if (s < 0) { report(op, -1); i++; continue; }
      struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[++i]))};
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      report(op, sendto(s, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof a));
    } else {
      printf("%s: unknown operation\\n", op);
      return 2;
    }
  }
  return 0;
}
`;

/**
 * The C source of `withpty COMMAND...`: runs COMMAND in a new session whose
 * controlling terminal is a new pseudo-terminal, then prints everything
 * that reached the terminal's master side (the user's screen: output and
 * the echo of typed input), and exits with COMMAND's status.
 */
export const WITHPTY_C = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) { perror("posix_openpt"); return 2; }
  /* Held open here, so the master never reads EIO before the command is done. */
  int keep = open(ptsname(m), O_RDWR | O_NOCTTY);
  if (keep < 0) { perror("open slave"); return 2; }
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    setenv("KILN_TTY", ptsname(m), 1);
    int s = open(ptsname(m), O_RDWR);
    if (s < 0) { perror("open slave"); _exit(127); }
    dup2(s, 0); dup2(s, 1); dup2(s, 2);
    if (s > 2) close(s);
    close(m); close(keep);
    execvp(argv[1], argv + 1);
    perror("exec");
    _exit(127);
  }
  int status;
  waitpid(pid, &status, 0);
  close(keep);
  char buf[4096];
  ssize_t n;
  while ((n = read(m, buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
`;
