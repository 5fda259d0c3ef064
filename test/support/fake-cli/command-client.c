/*
 * The client of a fake command's daemon (command-daemon.ts): it sends its invocation over the
 * daemon's unix socket and writes the answer as it comes. Built by the suite's global setup
 * (client-setup.ts) into ./command-client. A live recovery runs a fake command hundreds of times;
 * as a Python script (no site, only the C socket module) each cost 23 ms of CPU and 730 page
 * faults here, a sixteenth of a whole pass; this costs a millisecond.
 *
 *   command-client docker ARGS...   the cell's docker: the daemon at --host/-H, standard input only
 *                                   with -i (as docker attaches it only then), no environment sent
 *                                   (works under sudo)
 *   command-client SOCKET ARGS...   a command of the operator's (cf, bosh): its environment sent, no
 *                                   input
 *
 * Both send their working folder. The request: `ARGS ENVS` and a newline, then the working folder,
 * each argument and each environment entry ended by a NUL byte, then the input. The answer's
 * frames: `1 LENGTH` or `2 LENGTH` and a newline, then that many bytes of standard output or error;
 * `0 EXIT-CODE` and a newline, the end.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

static const char NO_DOCKER[] = "Cannot connect to the Docker daemon. Is the docker daemon running on this host?\n";

static void put(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(1);
    p += w;
    n -= (size_t)w;
  }
}

static void fail(const char *message) {
  put(2, message, strlen(message));
  _exit(1);
}

/* The request being written: grown as needed. */
static char *req;
static size_t req_len, req_cap;

static void add(const char *p, size_t n) {
  if (req_len + n > req_cap) {
    req_cap = (req_len + n) * 2 + 4096;
    req = realloc(req, req_cap);
    if (!req) fail("command-client: out of memory\n");
  }
  memcpy(req + req_len, p, n);
  req_len += n;
}

static void add_field(const char *s) { add(s, strlen(s) + 1); }

int main(int argc, char **argv) {
  if (argc < 2) fail("usage: command-client docker|SOCKET ARGS...\n");
  const char *mode = argv[1];
  char **args = argv + 2;
  int nargs = argc - 2;
  int docker = strcmp(mode, "docker") == 0;
  const char *socket_path = mode;
  const char *no_daemon = NO_DOCKER;
  char daemon_gone[PATH_MAX + 64];
  int input = 0;
  char **env = environ;
  int nenv = 0;

  if (docker) {
    socket_path = NULL;
    for (int i = 0; i < nargs; i++) {
      if ((strcmp(args[i], "--host") == 0 || strcmp(args[i], "-H") == 0) && i + 1 < nargs) socket_path = args[i + 1];
      else if (strncmp(args[i], "--host=", 7) == 0) socket_path = args[i] + 7;
      if (strcmp(args[i], "-i") == 0) input = 1;
    }
    if (!socket_path || strncmp(socket_path, "unix://", 7) != 0) fail(NO_DOCKER);
    socket_path += 7;
  } else {
    snprintf(daemon_gone, sizeof daemon_gone, "fake command: its daemon at %s is not running\n", socket_path);
    no_daemon = daemon_gone;
    while (env[nenv]) nenv++;
  }

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(socket_path) >= sizeof addr.sun_path) fail(no_daemon);
  strcpy(addr.sun_path, socket_path);
  int conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (conn < 0 || connect(conn, (struct sockaddr *)&addr, sizeof addr) != 0) fail(no_daemon);

  char head[64];
  snprintf(head, sizeof head, "%d %d\n", nargs, nenv);
  add(head, strlen(head));
  char cwd[PATH_MAX];
  add_field(getcwd(cwd, sizeof cwd) ? cwd : "");
  for (int i = 0; i < nargs; i++) add_field(args[i]);
  for (int i = 0; i < nenv; i++) add_field(env[i]);
  if (input) {
    char buf[65536];
    for (;;) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      add(buf, (size_t)r);
    }
  }
  for (size_t off = 0; off < req_len;) {
    ssize_t w = send(conn, req + off, req_len - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break; /* the daemon stopped reading: what it answered is read below */
    off += (size_t)w;
  }
  shutdown(conn, SHUT_WR);

  char buf[65536];
  char line[64];
  size_t line_len = 0;
  int stream = 0;
  long long left = 0;
  for (;;) {
    ssize_t r = recv(conn, buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    char *p = buf;
    size_t n = (size_t)r;
    while (n > 0) {
      if (left > 0) {
        size_t piece = (size_t)left < n ? (size_t)left : n;
        put(stream, p, piece);
        p += piece;
        n -= piece;
        left -= (long long)piece;
        continue;
      }
      char *nl = memchr(p, '\n', n);
      size_t take = nl ? (size_t)(nl - p) : n;
      if (line_len + take >= sizeof line) fail("command-client: the daemon's answer is not framed\n");
      memcpy(line + line_len, p, take);
      line_len += take;
      if (!nl) break;
      line[line_len] = '\0';
      line_len = 0;
      p = nl + 1;
      n -= take + 1;
      char *end;
      long long number = strtoll(line + 2, &end, 10);
      if (line[1] != ' ' || *end != '\0' || end == line + 2 || number < 0) fail("command-client: the daemon's answer is not framed\n");
      if (line[0] == '0') _exit((int)(number & 0xff));
      if (line[0] != '1' && line[0] != '2') fail("command-client: the daemon's answer is not framed\n");
      stream = line[0] - '0';
      left = number;
    }
  }
  fail("error during connect: the daemon closed the connection without an answer\n");
}
