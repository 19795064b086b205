#include "tmpname.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int prod_tmp_name(struct inf_buf *tmp, const char *path, long pid)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash ? (size_t)(slash - path) + 1 : 0;

	inf_buf_reset(tmp);
	if (inf_buf_append(tmp, path, plen) ||
	    inf_buf_printf(tmp, ".%s.%ld.tmp", path + plen, pid) ||
	    inf_buf_putc(tmp, '\0'))
		return -1;
	return 0;
}

int prod_tmp_create(const char *tmp)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	return fd;
}
