/*
 * Command-line parsing for the producer; see cli.h. Numbers are read with
 * strtoull and checked in full (digits only, no sign, no overflow, within
 * the option's limit); every problem is a one-line usage error naming the
 * option.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtime.h"

enum {
	OPT_COUNT = 256, OPT_SIZE, OPT_SEED, OPT_START, OPT_DIR, OPT_ENDPOINT,
	OPT_BUCKET, OPT_REGION, OPT_NDJSON, OPT_VERSION
};

static const struct option long_opts[] = {
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "start", required_argument, NULL, OPT_START },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "bucket", required_argument, NULL, OPT_BUCKET },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "ndjson", required_argument, NULL, OPT_NDJSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: producer [options]\n"
"Writes store events (one JSON object each) like the scenario's Python\n"
"producer, then prints its summary line on stdout.\n"
"\n"
"Destination (one of):\n"
"  --dir DIR          files at DIR/<key> (default: " PROD_DEFAULT_DIR ")\n"
"  --endpoint URL --bucket NAME [--region R]\n"
"                     S3 PUT to URL/NAME/<key>, SigV4-signed; credentials\n"
"                     from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and\n"
"                     AWS_SESSION_TOKEN; region default $AWS_REGION, then\n"
"                     " PROD_DEFAULT_REGION "\n"
"  --ndjson FILE      all events as one NDJSON file, '-' for stdout (the\n"
"                     summary then goes to stderr)\n"
"\n"
"Amount:\n"
"  --count N          events to write (default %d, at most %llu)\n"
"  --size BYTES       with --ndjson: write events until the file has at\n"
"                     least BYTES (at most 1 TiB); suffixes K, M, G\n"
"                     (powers of 1024); excludes --count\n"
"\n"
"Randomness and time:\n"
"  --seed S           seed the PRNG (0..2^64-1): same seed, same bytes and\n"
"                     keys; event times then start at --start and advance\n"
"                     1..%d us per event (default: random seed, real UTC\n"
"                     clock)\n"
"  --start ISO        first event time, UTC, YYYY-MM-DDTHH:MM:SS[.ffffff]\n"
"                     (default " PROD_TIME_DEFAULT_START "); implies the\n"
"                     synthetic clock\n"
"\n"
"Output:\n"
"  -q, --quiet        no 'wrote <key>' line per object on stderr\n"
"  -h, --help         this text\n"
"  --version          print the version\n"
"\n"
"Keys: store_events/{evnt_type}/dt={YYYY_MM_DD}/{epoch_s}{usec:06}.json\n"
"\n"
"Each option at most once; --help and --version once the line parses.\n"
"Exit status: 0 success, 2 usage error (bad option or number, conflicting\n"
"destinations, missing credentials, a --start too late for the events),\n"
"5 I/O or HTTP error (a closed pipe too). Errors are one line on stderr,\n"
"'producer: <what> (<file, option or key>)'; the summary line is printed\n"
"only on success.\n",
		PROD_DEFAULT_COUNT, PROD_MAX_COUNT, PROD_TIME_MAX_STEP_US);
}

/* Reads a decimal number in [0, max]; with `suffixes`, one of K, M, G
 * (case-insensitive) may follow and multiplies by 1024, 1024^2, 1024^3. */
static int parse_u64(const char *s, uint64_t max, int suffixes, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	if (suffixes && *end) {
		switch (*end) {
		case 'K': case 'k': mult = 1ULL << 10; break;
		case 'M': case 'm': mult = 1ULL << 20; break;
		case 'G': case 'g': mult = 1ULL << 30; break;
		default: return -1;
		}
		end++;
	}
	if (*end || v > max / mult)
		return -1;
	*out = (uint64_t)v * mult;
	return 0;
}

/* Whether the URL path `p` (NULL: none) has a "." or ".." segment. */
static int dot_segment(const char *p)
{
	while (p && *p) {
		size_t n = strcspn(++p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 1;
		p += n;
	}
	return 0;
}

/* Checks what the options add up to; reads the AWS_* environment. */
static int resolve(struct prod_opts *o, unsigned dests, int have_count,
		   int have_bucket, int have_region, struct prod_err *err)
{
	const char *r, *host;

	if (dests == 3 || dests == 5 || dests == 7)
		return prod_err_set(err, "conflicting destinations (--dir, %s)",
				    dests & 2 ? "--endpoint" : "--ndjson");
	if (dests == 6)
		return prod_err_set(err, "conflicting destinations (--endpoint, --ndjson)");
	if (o->dest != PROD_DEST_S3 && (have_bucket || have_region))
		return prod_err_set(err, "needs --endpoint (%s)",
				    have_bucket ? "--bucket" : "--region");
	if (o->use_size && o->dest != PROD_DEST_NDJSON)
		return prod_err_set(err, "only with --ndjson (--size)");
	if (o->use_size && have_count)
		return prod_err_set(err, "give --count or --size, not both (--size)");
	/* refused before anything is written, whatever the steps turn out to
	 * be (with --size the count is not known: past the year 9999 that
	 * run stops there, exit 2 too) */
	if (o->synthetic && !o->use_size && o->count > 0 &&
	    o->start_us + (int64_t)(o->count - 1) * PROD_TIME_MAX_STEP_US >= PROD_TIME_END_US)
		return prod_err_set(err, "%llu events, the first at --start and each up to %d ms "
				    "after the last, could pass the year 9999: give an earlier "
				    "time (--start)", (unsigned long long)o->count,
				    PROD_TIME_MAX_STEP_US / 1000);
	if (o->dest != PROD_DEST_S3)
		return 0;
	if (!have_bucket)
		return prod_err_set(err, "missing --bucket (--endpoint)");
	if (strncmp(o->s3.endpoint, "http://", 7) &&
	    strncmp(o->s3.endpoint, "https://", 8))
		return prod_err_set(err, "not an http:// or https:// URL (--endpoint)");
	host = strstr(o->s3.endpoint, "://") + 3;
	if (!*host || *host == '/')
		return prod_err_set(err, "an endpoint names a host (--endpoint)");
	if (dot_segment(strchr(host, '/')))
		return prod_err_set(err, "an endpoint's path holds no '.' or '..' segment: "
				    "libcurl would remove it (--endpoint)");
	/* keys are appended to its path: a query or fragment would swallow them */
	if (strpbrk(o->s3.endpoint, "?#"))
		return prod_err_set(err, "an endpoint holds no query or fragment (--endpoint)");
	if (!o->s3.region) {
		r = getenv("AWS_REGION");
		o->s3.region = r && *r ? r : PROD_DEFAULT_REGION;
	}
	if (strspn(o->s3.region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(o->s3.region) || !o->s3.region[0])
		return prod_err_set(err, "bad region '%s' (%s)", o->s3.region,
				    have_region ? "--region" : "AWS_REGION");
	o->s3.key_id = getenv("AWS_ACCESS_KEY_ID");
	o->s3.secret = getenv("AWS_SECRET_ACCESS_KEY");
	o->s3.token = getenv("AWS_SESSION_TOKEN");
	if (!o->s3.key_id || !o->s3.key_id[0] || !o->s3.secret || !o->s3.secret[0])
		return prod_err_set(err, "missing credentials: set "
				    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (--endpoint)");
	return 0;
}

/* Whether `b` is a bucket name S3 takes: 3 to 63 of a-z 0-9 . -, a
 * letter or digit at each end, no ".." (a name "." or ".." would be a
 * dot segment of the URL's path, which libcurl removes: the objects
 * would go to another bucket). */
static int bucket_ok(const char *b)
{
	size_t n = strlen(b);

	return n >= 3 && n <= 63 && strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n &&
	       isalnum((unsigned char)b[0]) && isalnum((unsigned char)b[n - 1]) &&
	       !strstr(b, "..");
}

/* The long name of option value c. */
static const char *long_name(int c)
{
	for (const struct option *l = long_opts; l->name; l++)
		if (l->val == c)
			return l->name;
	return "?";
}

int prod_cli_parse(struct prod_opts *o, int argc, char **argv,
		   struct prod_err *err)
{
	unsigned dests = 0; /* bits: 1 --dir, 2 --endpoint, 4 --ndjson */
	int have_count = 0, have_bucket = 0, have_region = 0;
	int c, help = 0, version = 0;
	unsigned long long seen = 0; /* bit c - OPT_COUNT, 63 -q */

	memset(o, 0, sizeof *o);
	o->dest = PROD_DEST_DIR;
	o->dir = PROD_DEFAULT_DIR;
	o->count = PROD_DEFAULT_COUNT;
	prod_time_parse(PROD_TIME_DEFAULT_START, &o->start_us);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":qh", long_opts, NULL)) != -1) {
		/* after an unknown or incomplete option, its own text */
		const char *name = argv[optind - 1];
		unsigned bit = c == 'q' ? 63 : c >= OPT_COUNT && c <= OPT_VERSION
			? (unsigned)(c - OPT_COUNT) : 64;

		/* each option once, as the runtime takes them: a second --count
		 * or --dir was a silent override (-h, '?' and ':' have no bit) */
		if (bit < 64) {
			if (seen >> bit & 1)
				return prod_err_set(err, "option given twice (--%s)", long_name(c));
			seen |= 1ull << bit;
		}
		switch (c) {
		case OPT_COUNT:
			if (parse_u64(optarg, PROD_MAX_COUNT, 0, &o->count))
				return prod_err_set(err, "bad number '%s' (--count)", optarg);
			have_count = 1;
			break;
		case OPT_SIZE:
			if (parse_u64(optarg, PROD_MAX_SIZE, 1, &o->size))
				return prod_err_set(err, "bad size '%s' (--size)", optarg);
			o->use_size = 1;
			break;
		case OPT_SEED:
			if (parse_u64(optarg, UINT64_MAX, 0, &o->seed))
				return prod_err_set(err, "bad number '%s' (--seed)", optarg);
			o->have_seed = 1;
			o->synthetic = 1;
			break;
		case OPT_START:
			if (prod_time_parse(optarg, &o->start_us))
				return prod_err_set(err, "bad time '%s', want "
						    "YYYY-MM-DDTHH:MM:SS[.ffffff] UTC (--start)",
						    optarg);
			o->synthetic = 1;
			break;
		case OPT_DIR:
			if (!optarg[0])
				return prod_err_set(err, "empty value (--dir)");
			o->dest = PROD_DEST_DIR;
			o->dir = optarg;
			dests |= 1;
			break;
		case OPT_ENDPOINT:
			if (!optarg[0])
				return prod_err_set(err, "empty value (--endpoint)");
			o->dest = PROD_DEST_S3;
			o->s3.endpoint = optarg;
			dests |= 2;
			break;
		case OPT_NDJSON:
			if (!optarg[0])
				return prod_err_set(err, "empty value (--ndjson)");
			o->dest = PROD_DEST_NDJSON;
			o->ndjson = optarg;
			dests |= 4;
			break;
		case OPT_BUCKET:
			if (!bucket_ok(optarg))
				return prod_err_set(err, "bad bucket name '%s': S3's are 3 to 63 "
						    "lowercase letters, digits, '.' and '-', "
						    "starting and ending with a letter or digit "
						    "(--bucket)", optarg);
			o->s3.bucket = optarg;
			have_bucket = 1;
			break;
		case OPT_REGION:
			o->s3.region = optarg;
			have_region = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h': /* once the whole command line parses, as in GNU tools */
			help = 1;
			break;
		case OPT_VERSION:
			version = 1;
			break;
		case ':':
			return prod_err_set(err, "missing value (%s)", name);
		default:
			if (optopt == 'q' || optopt == 'h' || optopt == OPT_VERSION)
				return prod_err_set(err, "option takes no value (--%s)",
						    long_name(optopt));
			if (optopt && optopt < 256)
				return prod_err_set(err, "unknown option (-%c)", optopt);
			return prod_err_set(err, "unknown or ambiguous option (%.*s)",
					    (int)strcspn(name, "="), name);
		}
	}
	if (optind < argc)
		return prod_err_set(err, "unexpected argument (%s)", argv[optind]);
	if (help || version) {
		if (help)
			usage(stdout);
		else
			printf("producer (inflight) %s\n", PROD_VERSION);
		return 1;
	}
	return resolve(o, dests, have_count, have_bucket, have_region, err);
}
