/* runtime: the inflight command line. Picks a mode from the options and
 * hands over; every mode returns an exit status from cli.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lambda.h"

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
"  runtime --policy PATH --access-point NAME [INPUT] [-o OUT]\n"
"      filter mode: transform INPUT (default stdin) to OUT (default stdout)\n"
"  runtime --event FILE.json [--policy PATH] [-o OUT]\n"
"      serve one S3 Object Lambda GET event locally; the object comes from\n"
"      getObjectContext.inputS3Url (http, https or file://)\n"
"  runtime --check-policy PATH\n"
"      load every access point of a policy file or directory; print each\n"
"      problem with file and line, or ok\n"
"  runtime --make-event --access-point NAME (--url URL | --file PATH)\n"
"          [--key KEY] [--range bytes=A-B] [--header NAME:VALUE]...\n"
"          [--payload TEXT] [-o OUT]\n"
"      write a GET event as AWS would send it\n"
"\n"
"options:\n"
"  --policy PATH        policy file or directory of *.cfg files\n"
"                       (default $INFLIGHT_POLICY, else %s)\n"
"  --plugins DIRS       ':'-separated plugin directories\n"
"                       (default $INFLIGHT_PLUGIN_PATH, else\n"
"                       %s)\n"
"  -o, --output FILE    write the result to FILE, created only on success\n"
"  -h, --help           this text\n"
"  --version            print the version\n"
"\n"
"exit status: 0 ok, 1 internal error, 2 usage, 3 policy, 4 access denied,\n"
"  5 bad event, 6 source unreadable, 7 object not valid records (or over a\n"
"  limit), 8 transform (plugin) failure, 9 output not writable\n",
		inf_default_policy_path(), inf_default_plugin_path());
}

enum {
	OPT_POLICY = 256, OPT_PLUGINS, OPT_AP, OPT_EVENT, OPT_CHECK, OPT_MAKE,
	OPT_URL, OPT_FILE, OPT_KEY, OPT_RANGE, OPT_HEADER, OPT_PAYLOAD, OPT_VERSION
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
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "payload", required_argument, NULL, OPT_PAYLOAD },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "runtime: %s%s%s (try --help)\n", msg, arg ? ": " : "",
		arg ? arg : "");
	return INF_EXIT_USAGE;
}

static int run(int argc, char **argv)
{
	static const char *headers[MAX_HEADERS];
	struct inf_cli cli = { 0 };
	const char *check = NULL;
	int make = 0, c;

	cli.headers = headers;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
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
		case OPT_PAYLOAD: cli.payload = optarg; break;
		case OPT_HEADER:
			if (cli.nheaders == MAX_HEADERS)
				return usage_error("too many --header options", NULL);
			headers[cli.nheaders++] = optarg;
			break;
		case 'o': cli.output = optarg; break;
		case 'h': usage(stdout); return INF_EXIT_OK;
		case OPT_VERSION: printf("inflight runtime %s (plugin ABI %u)\n",
					 INF_VERSION, INF_PLUGIN_ABI_VERSION);
			return INF_EXIT_OK;
		case ':': return usage_error("option needs a value", argv[optind - 1]);
		default: return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (!!check + make + !!cli.event > 1)
		return usage_error("--check-policy, --make-event and --event are separate modes", NULL);
	if (check || make) {
		if (optind < argc)
			return usage_error("unexpected argument", argv[optind]);
		return check ? inf_mode_check_policy(check, &cli) : inf_mode_make_event(&cli);
	}
	if (cli.url || cli.file || cli.key || cli.range || cli.nheaders || cli.payload)
		return usage_error("--url, --file, --key, --range, --header and --payload go with --make-event", NULL);
	if (cli.event) {
		if (optind < argc)
			return usage_error("unexpected argument", argv[optind]);
		if (cli.access_point)
			return usage_error("--event takes the access point from the event", NULL);
		return inf_mode_event(&cli);
	}
	if (!cli.access_point && !cli.output && optind == argc &&
	    getenv("AWS_LAMBDA_RUNTIME_API"))
		return inf_mode_lambda(&cli);
	if (!cli.access_point)
		return usage_error("nothing to do: give --access-point, --event, --check-policy or --make-event", NULL);
	if (optind + 1 < argc)
		return usage_error("more than one input file", argv[optind + 1]);
	cli.input = optind < argc ? argv[optind] : NULL;
	return inf_mode_filter(&cli);
}

/* libcurl (and OpenSSL behind it) is initialised only by the modes that
 * fetch over http: filter mode and --check-policy start without it. */
int main(int argc, char **argv)
{
	return run(argc, argv);
}
