#include <stdio.h>

#include <greet.h>

int main(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-' && argv[1][1] == 'V') {
        printf("greet with libgreet %s\n", greet_version());
        return 0;
    }
    return greet(argc > 1 ? argv[1] : NULL);
}
