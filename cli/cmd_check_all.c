#include <stdio.h>

#include "cli/check.h"

int
cmd_check_all(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr,
	    "%s check: the full report is not built yet; use "
	    "`check spf`\n",
	    cli->prog);
	return EXIT_USAGE;
}
