#include <stdio.h>

#include "greet.h"

int greet(const char *name)
{
    return printf("Hello, %s!\n", name ? name : "world") < 0 ? 1 : 0;
}

const char *greet_version(void)
{
    return "1.0.0";
}
