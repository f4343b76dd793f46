#ifndef GREET_H
#define GREET_H

/* Write a greeting for NAME to standard output. Returns 0 on success. */
int greet(const char *name);

/* The library's version string. */
const char *greet_version(void);

#endif
