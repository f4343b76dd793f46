/**
 * The peak memory (resident set, `ru_maxrss` of `wait4`) of a command: a
 * small C program, compiled with the real `cc`, runs it as its child and
 * reports the child's peak on its last line of standard error.
 *
 * @module
 */

import { compileC } from "./build.ts";

const SOURCE = `#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) { execvp(argv[1], argv + 1); _exit(127); }
  int status; struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) return 2;
  fprintf(stderr, "\\npeak-rss-kib %ld\\n", ru.ru_maxrss);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
`;

/** Build the measuring program in `dir`; returns its path. */
export function peakRssProgram(dir: string): Promise<string> {
  return compileC(dir, "peak-rss", SOURCE, ["-O2"]);
}

/** Take the peak (in bytes) from the standard error of a run under {@linkcode peakRssProgram}. */
export function peakRss(stderr: string): number {
  const m = stderr.match(/peak-rss-kib (\d+)\s*$/);
  if (!m) throw new Error(`no peak-rss line in:\n${stderr}`);
  return Number(m[1]) * 1024;
}
