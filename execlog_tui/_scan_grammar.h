/* Generated from execlog_tui/core/grammar.py (c_header): do not edit. */
#ifndef EXECLOG_SCAN_GRAMMAR_H
#define EXECLOG_SCAN_GRAMMAR_H
#define GRAMMAR_SEP '|'
#define GRAMMAR_FRACTION_DIGITS 9
#define GRAMMAR_YEAR_MIN 1
#define GRAMMAR_YEAR_MAX 9999
/* Statuses of completed operations that are not errors, and the error statuses. */
static const char *const GRAMMAR_COMPLETED_STATUSES[] = {"DEGRADED", "RETRY", "SKIPPED", "SUCCESS", NULL};
static const char *const GRAMMAR_ERROR_STATUSES[] = {"CRITICAL", "ERROR", "FAILURE", "TIMEOUT", NULL};
#endif
