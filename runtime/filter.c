/* Filter mode: `runtime --policy FILE --access-point NAME [INPUT] [-o OUT]`
 * transforms a local file (or stdin) the way the access point would. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "cli.h"
#include "crash.h"
#include "output.h"
#include "redact.h"
#include "source.h"

/* The transform lends its batch buffers: file bytes are read once, into
 * the place they are parsed from. */
static char *space(void *ctx, size_t *room, struct inf_error *err)
{
	(void)err; /* the transform reports into the same error record */
	return inf_transform_space(ctx, room);
}

static int commit(void *ctx, size_t n, struct inf_error *err)
{
	(void)err;
	return inf_transform_commit(ctx, n);
}

/* Whether an output written in place (stdout, /dev/fd/N) is the input
 * file (NULL: stdin): `runtime IN >> IN` would read what it writes, for
 * ever when no record gets shorter. -o's temporary file never is. */
static int output_is_input(const struct inf_output *o, const char *input)
{
	struct stat in, out;

	if (o->tmp || fstat(o->fd, &out) || !S_ISREG(out.st_mode))
		return 0;
	if (input ? stat(input, &in) : fstat(STDIN_FILENO, &in))
		return 0;
	return in.st_dev == out.st_dev && in.st_ino == out.st_ino;
}

int inf_mode_filter(const struct inf_cli *cli)
{
	struct inf_error err = { 0 };
	struct inf_policy *pol = NULL;
	const struct inf_access_point *ap;
	struct inf_transform *t = NULL;
	struct inf_output out;
	struct inf_request req = { .access_point = cli->access_point, .object_key = "",
				   .request_id = "" };
	static const struct inf_lender lender = { space, commit };
	char name[1024];
	int rc;

	inf_show_name(cli->input ? cli->input : "-", name, sizeof name);

	if ((rc = inf_cli_load_policy(cli, 0, &pol)))
		return rc;
	ap = inf_policy_find(pol, cli->access_point);
	if (!ap) {
		inf_cli_no_policy(cli, pol, cli->access_point, &err);
		goto out;
	}
	req.object_key = cli->input ? cli->input : "";
	if (inf_output_open(&out, cli->output, &err))
		goto out;
	if (output_is_input(&out, cli->input && strcmp(cli->input, "-") ? cli->input : NULL)) {
		inf_error_set(&err, INF_FAIL_USAGE,
			      "%s: is the output too: it would read what it writes "
			      "(-o OUT replaces a file once it is read)", name);
		inf_output_abort(&out);
		goto out;
	}
	t = inf_transform_new(ap, &req, inf_output_write, &out, &err);
	if (!t) {
		inf_error_set(&err, INF_FAIL_NOMEM, "out of memory");
		inf_output_abort(&out);
		goto out;
	}
	if (inf_source_file_lend(cli->input ? cli->input : "-", &lender, t, &err) ||
	    inf_transform_finish(t)) {
		inf_output_abort(&out);
		goto out;
	}
	if (inf_output_commit(&out, &err) == 0)
		inf_report_skipped(t, name);
out:
	if (err.kind == INF_FAIL_NONE) {
		rc = INF_EXIT_OK;
	} else {
		inf_error_name_object(&err, name);
		rc = inf_fail_exit(&err);
	}
	inf_crash_decided(rc); /* before the plugins' fini */
	inf_transform_free(t);
	inf_policy_free(pol);
	return rc;
}
