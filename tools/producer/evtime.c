/*
 * Event time: ISO-8601 parsing, UTC breakdown and the event clock; see
 * evtime.h. Calendar arithmetic uses Howard Hinnant's days_from_civil /
 * civil_from_days algorithms (proleptic Gregorian, no tables, no locale,
 * no TZ), so the per-event cost is a few integer operations.
 */
#include "evtime.h"

#include <stddef.h>
#include <sys/time.h>

static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dim[m - 1];
}

/* Reads exactly `n` digits at *s into *v and advances *s. */
static int digits(const char **s, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		char c = (*s)[i];

		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (c - '0');
	}
	*s += n;
	*v = x;
	return 0;
}

static int expect(const char **s, char c)
{
	if (**s != c)
		return -1;
	(*s)++;
	return 0;
}

int prod_time_parse(const char *s, int64_t *us)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;

	if (digits(&s, 4, &y) || expect(&s, '-') || digits(&s, 2, &mo) ||
	    expect(&s, '-') || digits(&s, 2, &d))
		return -1;
	if (*s == 'T' || *s == ' ') {
		s++;
		if (digits(&s, 2, &h) || expect(&s, ':') || digits(&s, 2, &mi) ||
		    expect(&s, ':') || digits(&s, 2, &sec))
			return -1;
		if (*s == '.') {
			int n = 0;

			s++;
			while (*s >= '0' && *s <= '9' && n < 6) {
				frac = frac * 10 + (*s++ - '0');
				n++;
			}
			if (n == 0 || (*s >= '0' && *s <= '9'))
				return -1;
			for (; n < 6; n++)
				frac *= 10;
		}
	}
	if (*s == 'Z')
		s++;
	else if (*s == '+' && s[1] == '0' && s[2] == '0' && s[3] == ':' &&
		 s[4] == '0' && s[5] == '0')
		s += 6;
	if (*s)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	*us = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) *
	       1000000LL) + frac;
	return 0;
}

void prod_time_split(int64_t us, struct prod_tm *tm)
{
	int64_t secs = us / 1000000;
	int64_t sod = secs % 86400;

	tm->usec = (int)(us % 1000000);
	tm->epoch_sec = secs;
	civil_from_days(secs / 86400, &tm->year, &tm->mon, &tm->day);
	tm->hour = (int)(sod / 3600);
	tm->min = (int)(sod / 60 % 60);
	tm->sec = (int)(sod % 60);
}

void prod_clock_init(struct prod_clock *c, int synthetic, int64_t start_us)
{
	c->synthetic = synthetic;
	c->started = 0;
	c->next = start_us;
	c->last = 0;
}

int prod_clock_next(struct prod_clock *c, struct prod_rng *rng, int64_t *us)
{
	int64_t t;

	if (c->synthetic) {
		t = c->next;
		c->next += (int64_t)prod_rng_range(rng, 1, PROD_TIME_MAX_STEP_US);
	} else {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		t = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	}
	if (c->started && t <= c->last)
		t = c->last + 1;
	if (t < 0 || t >= PROD_TIME_END_US)
		return -1;
	c->started = 1;
	c->last = t;
	*us = t;
	return 0;
}
