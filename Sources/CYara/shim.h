#ifndef CYARA_SHIM_H
#define CYARA_SHIM_H
/* libyara (Debian libyara-dev). The rule/meta/string structs use unions
   (DECLARE_REFERENCE) and the iteration helpers are macros, so Swift reads
   them only through these small inline functions. */
#include <stdint.h>
#include <string.h>
#include <yara.h>

static inline const char *CYara_rule_identifier(const YR_RULE *rule) { return rule->identifier; }
static inline const char *CYara_rule_namespace(const YR_RULE *rule) { return rule->ns ? rule->ns->name : ""; }
/* Tags are consecutive NUL-terminated strings ending with an empty one. */
static inline const char *CYara_rule_tags(const YR_RULE *rule) { return rule->tags; }

/* The string value of meta `key`, or NULL. */
static inline const char *CYara_rule_meta_string(const YR_RULE *rule, const char *key) {
    const YR_META *meta;
    yr_rule_metas_foreach(rule, meta) {
        if (meta->type == META_TYPE_STRING && strcmp(meta->identifier, key) == 0) return meta->string;
    }
    return NULL;
}

/* The earliest match of a rule (base + offset), its string identifier, and
   the number of matches across its strings. Returns 0 when none is recorded
   (a rule can match on its condition alone). */
static inline int CYara_rule_first_match(
    YR_SCAN_CONTEXT *context, const YR_RULE *rule, int64_t *offset, const char **string_id, int64_t *count) {
    const YR_STRING *string;
    YR_MATCH *match;
    int found = 0;
    *count = 0;
    yr_rule_strings_foreach(rule, string) {
        yr_string_matches_foreach(context, string, match) {
            int64_t at = match->base + match->offset;
            *count += 1;
            if (!found || at < *offset) {
                *offset = at;
                *string_id = string->identifier;
                found = 1;
            }
        }
    }
    return found;
}
#endif
