/* runtime: the inflight command line. Picks a mode from the options and
 * hands over; every mode returns an exit status from cli.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "crash.h"
#include "env.h"
#include "lambda.h"
#include "redact.h"

#ifndef INF_VERSION
#define INF_VERSION "0.1.0"
#endif

#define MAX_HEADERS 32

static void usage(FILE *fp)
{
	fprintf(fp,
"usage:\n"
"  runtime            (with AWS_LAMBDA_RUNTIME_API set, as Lambda's bootstrap)\n"
"      serve S3 Object Lambda GET, HEAD and LIST events for the policy's\n"
"      access points through the Lambda Runtime API\n"
"  runtime [--policy PATH] [--plugins DIRS] --access-point NAME [INPUT] [-o OUT]\n"
"      filter mode: transform INPUT (default stdin) to OUT (default stdout)\n"
"  runtime --event FILE.json [--policy PATH] [--plugins DIRS] [-o OUT]\n"
"      serve one S3 Object Lambda GET event (FILE.json, '-' for stdin)\n"
"      locally; the object comes from\n"
"      getObjectContext.inputS3Url (http, https or file://)\n"
"  runtime --check-policy PATH [--plugins DIRS]\n"
"      load every access point of a policy file or directory; print each\n"
"      problem with file and line, or ok\n"
"  runtime --make-event --access-point NAME (--url URL | --file PATH)\n"
"          [--key KEY] [--range bytes=A-B] [--part-number N]\n"
"          [--header NAME:VALUE]... [--payload TEXT] [-o OUT]\n"
"      write a GET event as AWS would send it\n"
"\n"
"options:\n"
"  --policy PATH        policy file or directory of *.cfg files\n"
"                       (default $INFLIGHT_POLICY, else %s,\n"
"                       else ../share/inflight/policies beside the binary)\n"
"  --plugins DIRS       ':'-separated plugin directories, searched instead\n"
"                       of the defaults ($INFLIGHT_PLUGIN_PATH, else\n"
"                       %s)\n"
"  -o, --output FILE    write the result to FILE, created only on success\n"
"  -h, --help           this text\n"
"  --version            print the version\n"
"\n"
"environment (empty is unset; a bad number is refused at start, exit 2):\n"
"  INFLIGHT_POLICY, INFLIGHT_PLUGIN_PATH  as --policy and --plugins\n"
"  INFLIGHT_THREADS         workers for ndjson and arrays, 1 .. (4 at most used)\n"
"  INFLIGHT_SOURCE_TIMEOUT  seconds to read the object in event mode (900)\n"
"  INFLIGHT_RAPI_RETRY_MS   Lambda: how long the Runtime API may be\n"
"                           unreachable (10000)\n"
"  INFLIGHT_S3OL_WINDOW_MS  tests: shortens S3 Object Lambda's 60000 ms\n"
"  INFLIGHT_WGOR_ENDPOINT   tests: where WriteGetObjectResponse is sent\n"
"                           (e.g. http://127.0.0.1:PORT)\n"
"  TMPDIR                   where objects past 8 MiB are spooled\n"
"  AWS_USE_FIPS_ENDPOINT    Lambda: true sends WGOR to the FIPS endpoint\n"
"                           (true or false; anything else: exit 2)\n"
"\n"
"exit status: 0 ok, 1 internal error, 2 usage, 3 policy, 4 access denied,\n"
"  5 bad event, 6 source unreadable, 7 object not valid records (or over a\n"
"  limit), 8 transform (plugin) failure, 9 output not writable\n",
		inf_default_policy_path(), inf_default_plugin_path());
}

enum {
	OPT_POLICY = 256, OPT_PLUGINS, OPT_AP, OPT_EVENT, OPT_CHECK, OPT_MAKE,
	OPT_URL, OPT_FILE, OPT_KEY, OPT_RANGE, OPT_PART, OPT_HEADER, OPT_PAYLOAD, OPT_VERSION
};

static const struct option long_opts[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "plugins", required_argument, NULL, OPT_PLUGINS },
	{ "access-point", required_argument, NULL, OPT_AP },
	{ "event", required_argument, NULL, OPT_EVENT },
	{ "check-policy", required_argument, NULL, OPT_CHECK },
	{ "make-event", no_argument, NULL, OPT_MAKE },
	{ "url", required_argument, NULL, OPT_URL },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "range", required_argument, NULL, OPT_RANGE },
	{ "part-number", required_argument, NULL, OPT_PART },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "payload", required_argument, NULL, OPT_PAYLOAD },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* arg, when given, as a file name is shown (one line, a URL redacted). */
static int usage_error(const char *msg, const char *arg)
{
	char shown[1024] = "-";

	if (arg && strcmp(arg, "-"))
		inf_show_name(arg, shown, sizeof shown);
	fprintf(stderr, "runtime: %s%s%s (try --help)\n", msg, arg ? ": " : "",
		arg ? shown : "");
	return INF_EXIT_USAGE;
}

/* Options by bit, for "given twice" and "not used by this mode". */
enum {
	B_POLICY = 1 << 0, B_PLUGINS = 1 << 1, B_AP = 1 << 2, B_EVENT = 1 << 3,
	B_CHECK = 1 << 4, B_MAKE = 1 << 5, B_URL = 1 << 6, B_FILE = 1 << 7,
	B_KEY = 1 << 8, B_RANGE = 1 << 9, B_HEADER = 1 << 10, B_PAYLOAD = 1 << 11,
	B_OUTPUT = 1 << 12, B_PART = 1 << 13, B_HELP = 1 << 14, B_VERSION = 1 << 15
};

/* What each mode reads; any other option given is a usage error. */
#define USED_FILTER (B_POLICY | B_PLUGINS | B_AP | B_OUTPUT)
#define USED_EVENT (B_EVENT | B_POLICY | B_PLUGINS | B_OUTPUT)
#define USED_CHECK (B_CHECK | B_PLUGINS)
#define USED_MAKE (B_MAKE | B_AP | B_URL | B_FILE | B_KEY | B_RANGE | B_PART | \
		   B_HEADER | B_PAYLOAD | B_OUTPUT)

static const struct {
	int val, bit;
	const char *name;
} opt_names[] = {
	{ OPT_POLICY, B_POLICY, "--policy" },
	{ OPT_PLUGINS, B_PLUGINS, "--plugins" },
	{ OPT_AP, B_AP, "--access-point" },
	{ OPT_EVENT, B_EVENT, "--event" },
	{ OPT_CHECK, B_CHECK, "--check-policy" },
	{ OPT_MAKE, B_MAKE, "--make-event" },
	{ OPT_URL, B_URL, "--url" },
	{ OPT_FILE, B_FILE, "--file" },
	{ OPT_KEY, B_KEY, "--key" },
	{ OPT_RANGE, B_RANGE, "--range" },
	{ OPT_PART, B_PART, "--part-number" },
	{ OPT_HEADER, B_HEADER, "--header" },
	{ OPT_PAYLOAD, B_PAYLOAD, "--payload" },
	{ 'o', B_OUTPUT, "-o/--output" },
	{ 'h', B_HELP, "-h/--help" },
	{ OPT_VERSION, B_VERSION, "--version" },
};

static const char *opt_name(int val)
{
	for (size_t i = 0; i < sizeof opt_names / sizeof opt_names[0]; i++)
		if (opt_names[i].val == val)
			return opt_names[i].name;
	return "?";
}

static int opt_bit(int val)
{
	for (size_t i = 0; i < sizeof opt_names / sizeof opt_names[0]; i++)
		if (opt_names[i].val == val)
			return opt_names[i].bit;
	return 0;
}

/* Refuses the first option given that the mode does not read, with
 * `why` ("option not used by --check-policy"). */
static int unused_options(int given, int used, const char *why)
{
	for (size_t i = 0; i < sizeof opt_names / sizeof opt_names[0]; i++)
		if (given & opt_names[i].bit & ~used)
			return usage_error(why, opt_names[i].name);
	return 0;
}

/* The option getopt_long stopped at ('?' or ':'): a long one as written,
 * without "=value"; a short one from optopt, since within "-xq"
 * argv[optind - 1] is the argument before. */
static int bad_option(int c, char **argv)
{
	const char *a = argv[optind - 1];
	int known = optopt && strcmp(opt_name(optopt), "?");
	char name[64];

	if (!strncmp(a, "--", 2) && (optopt == 0 || known))
		snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a);
	else
		snprintf(name, sizeof name, "-%c", optopt);
	if (c == '?' && !known && !strncmp(a, "--", 2)) {
		/* a prefix of two long options is no option's (--pa: --part-number
		 * or --payload) */
		size_t n = strlen(name) - 2, hits = 0;
		for (const struct option *o = long_opts; o->name; o++)
			hits += !strncmp(o->name, name + 2, n);
		if (hits > 1)
			return usage_error("ambiguous option (the start of more than one)", name);
	}
	return usage_error(c == ':' ? "option needs a value"
			   : known ? "option takes no value" : "unknown option", name);
}

static int run(int argc, char **argv)
{
	static const char *headers[MAX_HEADERS];
	struct inf_cli cli = { 0 };
	const char *check = NULL;
	int make = 0, help = 0, version = 0, given = 0, lambda, c, rc;

	cli.headers = headers;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
		int bit = opt_bit(c);

		if (c == ':' || c == '?')
			return bad_option(c, argv);
		if (bit & given & ~B_HEADER)
			return usage_error("option given twice", opt_name(c));
		given |= bit;
		if (optarg && !*optarg)
			return usage_error("option needs a non-empty value", opt_name(c));
		switch (c) {
		case OPT_POLICY: cli.policy = optarg; break;
		case OPT_PLUGINS: cli.plugins = optarg; break;
		case OPT_AP: cli.access_point = optarg; break;
		case OPT_EVENT: cli.event = optarg; break;
		case OPT_CHECK: check = optarg; break;
		case OPT_MAKE: make = 1; break;
		case OPT_URL: cli.url = optarg; break;
		case OPT_FILE: cli.file = optarg; break;
		case OPT_KEY: cli.key = optarg; break;
		case OPT_RANGE: cli.range = optarg; break;
		case OPT_PART: cli.part = optarg; break;
		case OPT_PAYLOAD: cli.payload = optarg; break;
		case OPT_HEADER:
			if (cli.nheaders == MAX_HEADERS)
				return usage_error("too many --header options", NULL);
			headers[cli.nheaders++] = optarg;
			break;
		case 'o': cli.output = optarg; break;
		case 'h': help = 1; break;
		case OPT_VERSION: version = 1; break;
		default: return usage_error("unknown option", argv[optind - 1]); /* not reached */
		}
	}
	/* like GNU tools: --help and --version win over the mode, but only
	 * once the whole command line parsed */
	if (help) {
		usage(stdout);
		return INF_EXIT_OK;
	}
	if (version) {
		printf("inflight runtime %s (plugin ABI %u)\n", INF_VERSION,
		       INF_PLUGIN_ABI_VERSION);
		return INF_EXIT_OK;
	}
	if (!!check + make + !!cli.event > 1)
		return usage_error("--check-policy, --make-event and --event are separate modes", NULL);
	lambda = !check && !make && !cli.event && !cli.access_point && !cli.output &&
		 optind == argc && getenv("AWS_LAMBDA_RUNTIME_API");
	/* Lambda mode checks the environment itself, so that a bad setting
	 * reaches the Runtime API's /init/error as well as the log */
	if (!make && !lambda && (rc = inf_env_check()))
		return rc;
	if (check || make || cli.event) {
		if ((rc = unused_options(given, check ? USED_CHECK : make ? USED_MAKE : USED_EVENT,
					 check ? "option not used by --check-policy"
					 : make ? "option not used by --make-event"
						: "option not used by --event")))
			return rc;
		/* --make-event's stray argument may be a --header value given
		 * apart from its name: a token, a key; it is not printed */
		if (optind < argc && make)
			return usage_error("unexpected argument, not shown (--header takes one "
					   "NAME:VALUE argument)", NULL);
		if (optind < argc)
			return usage_error("unexpected argument", argv[optind]);
		return check ? inf_mode_check_policy(check, &cli)
		       : make ? inf_mode_make_event(&cli) : inf_mode_event(&cli);
	}
	if ((rc = unused_options(given, USED_FILTER, "option goes with --make-event")))
		return rc;
	if (lambda)
		return inf_mode_lambda(&cli);
	if (!cli.access_point)
		return usage_error("nothing to do: give --access-point, --event, --check-policy or --make-event", NULL);
	if (optind + 1 < argc)
		return usage_error("more than one input file", argv[optind + 1]);
	cli.input = optind < argc ? argv[optind] : NULL;
	return inf_mode_filter(&cli);
}

/* Puts /dev/null where descriptor 0, 1 or 2 is closed, so that no file
 * the runtime opens takes its number: a log line on "stderr" would go
 * into an output file, a read of "stdin" would read a file the runtime
 * opened. stdin and stdout get it opened the other way round (a read or
 * write of them still fails, EBADF, as on a closed descriptor); stderr
 * for writing (messages are lost, as they were). Returns 0, or -1 when
 * /dev/null cannot be opened. */
static int standard_fds(void)
{
	static const int mode[3] = { O_WRONLY, O_RDONLY, O_WRONLY };

	for (int fd = 0; fd < 3; fd++) {
		int got;
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		got = open("/dev/null", mode[fd]);
		if (got != fd) {
			if (got >= 0)
				close(got);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	if (standard_fds())
		return INF_EXIT_INTERNAL;

	/* a reader gone (`| head`) is a write error with its own exit status
	 * and message, not a silent death by SIGPIPE (libcurl wants it
	 * ignored as well) */
	signal(SIGPIPE, SIG_IGN);
	if (inf_crash_init())
		return INF_EXIT_INTERNAL;
	inf_crash_working(1);
	rc = run(argc, argv);
	inf_crash_working(0);
	/* what went through stdio (help, version, --check-policy's "ok")
	 * must have reached stdout before success is claimed */
	int e = fflush(stdout) ? errno : 0;

	if ((e || ferror(stdout)) && rc == INF_EXIT_OK) {
		fprintf(stderr, "runtime: stdout: write failed: %s\n",
			e ? strerror(e) : "output error");
		rc = INF_EXIT_OUTPUT;
	}
	return rc;
}
