/*
 * Duplicated keys under a condition. JSON leaves an object that holds a
 * key twice to its reader: Python and JavaScript take the last value,
 * other parsers the first, some refuse it. A condition that reads such a
 * member would decide on a value the consumer may never see
 * ({"evnt_type": "inventory_event", "evnt_type": "sales_event"} kept by
 * `evnt_type eq inventory_event`), so `when` and filter_records refuse
 * the record instead (drop_fields and mask_fields act on every copy).
 */
#ifndef INF_DUPKEYS_H
#define INF_DUPKEYS_H

#include "path.h"
#include "record.h"

/* 0 when no two members of one object that paths of `ps` reach or
 * pass through ("customer" under "customer.country") have the same key
 * (compared unescaped; removed members not counted); else INF_ERR_TYPE
 * with a one-line reason naming the key in err (INF_ERR_MAX bytes), or
 * INF_ERR_NOMEM. Walks as inf_walk, so never from inside a walk
 * visitor. */
int inf_paths_check_dups(struct inf_record *r, const struct inf_paths *ps, char *err);

#endif
