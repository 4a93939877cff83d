/*
 * report.h - what ncc-validate shows: a text report for people (80
 * columns), the JSON of contract section 5.1, and the rejects CSV
 * (file,line,column,code,message).
 */
#ifndef NCC_REPORT_H
#define NCC_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "rules/validate.h"

/* Text report of n files. Returns 0, or -1 on a write error. */
int ncc_report_text(FILE *out, const ncc_file_result *res, int n);
/* One JSON object as contract 5.1. Returns 0, or -1 on a write error. */
int ncc_report_json(FILE *out, const ncc_file_result *res, int n);
/* The heading of the third column of a file's totals in the text report:
 * "feed" (cost, ledger) or "route" (the others). */
const char *ncc_report_feed_label(const ncc_file_result *r);

typedef struct ncc_rejects ncc_rejects;
/* Create the rejects CSV with its header. NULL with a message on failure. */
ncc_rejects *ncc_rejects_open(const char *path, char *err, size_t errlen);
void ncc_rejects_write(ncc_rejects *r, const char *file, const ncc_issue *issue);
/* Close; returns -1 if any write failed. Safe on NULL (returns 0). */
int ncc_rejects_close(ncc_rejects *r);

#endif
