#include <crypt.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

/* Read one line into buf without its newline; -1 at EOF or when too long. */
static int
read_line(FILE *in, char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, in) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(in))
		return -1; /* longer than the buffer */
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

/* Prompt on the terminal with echo off. */
static int
read_password_tty(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int rc;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) == -1)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == -1)
		return -1;
	rc = read_line(stdin, buf, len);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

/*
 * postern passwd: a password from the terminal (twice, without echo) or one
 * line of standard input, printed as a yescrypt ($y$) crypt(3) hash.
 */
int
cmd_passwd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	char pw[1024], again[1024], salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *hash;
	int ch, rc = EXIT_USAGE;

	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		if (ch == 'h') {
			printf("usage: %s passwd < password\n", cli->prog);
			return EXIT_OK;
		}
		return EXIT_USAGE;
	}
	if (isatty(STDIN_FILENO)) {
		if (read_password_tty("Password: ", pw, sizeof(pw)) == -1 ||
		    read_password_tty("Again: ", again, sizeof(again)) == -1)
			return cli_usage_error(cli, "passwd",
			    "could not read the password");
		if (strcmp(pw, again) != 0) {
			explicit_bzero(again, sizeof(again));
			explicit_bzero(pw, sizeof(pw));
			return cli_usage_error(cli, "passwd",
			    "the passwords differ");
		}
		explicit_bzero(again, sizeof(again));
	} else if (read_line(stdin, pw, sizeof(pw)) == -1) {
		return cli_usage_error(cli, "passwd",
		    "expected one line (at most %zu bytes) on standard input",
		    sizeof(pw) - 2);
	}
	if (pw[0] == '\0') {
		rc = cli_usage_error(cli, "passwd", "the password is empty");
		goto out;
	}
	memset(&cd, 0, sizeof(cd));
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL ||
	    (hash = crypt_r(pw, salt, &cd)) == NULL || hash[0] == '*') {
		rc = cli_usage_error(cli, "passwd",
		    "crypt(3) could not hash the password");
		goto out;
	}
	printf("%s\n", hash);
	rc = EXIT_OK;
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(&cd, sizeof(cd));
	return rc;
}
