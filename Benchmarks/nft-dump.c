// The floor for `hostaudit firewall show`: what plain C with libmnl and
// libnftnl spends to read a ruleset over netlink (the generation id, then
// tables, chains, sets and their elements, rules; the generation id again,
// to see that nothing changed in between) and print libnftnl's own text for
// each object (no decoding of ours). Benchmarks/firewall-show.sh builds it
// and times it beside hostaudit and nft.
//
//   nft-dump        one rule dump for every family and table
//   nft-dump -c     one rule dump per chain (how hostaudit reads rules)
//
// cc -O2 Benchmarks/nft-dump.c $(pkg-config --cflags --libs libnftnl libmnl)
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// A chain or a set: what a later per-object dump asks for.
struct object_ref {
    uint32_t family;
    char *table, *name;
};

struct object_list {
    struct object_ref *items;
    size_t count, capacity;
};

static struct object_list chains, sets;
static unsigned long rules_printed;
static char text[1 << 20];

static void remember(struct object_list *list, uint32_t family, const char *table, const char *name) {
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? 2 * list->capacity : 64;
        list->items = realloc(list->items, list->capacity * sizeof *list->items);
        if (list->items == NULL) abort();
    }
    list->items[list->count++] = (struct object_ref){family, strdup(table), strdup(name)};
}

static int on_chain(const struct nlmsghdr *nlh, void *data) {
    (void)data;
    struct nftnl_chain *c = nftnl_chain_alloc();
    if (c == NULL || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
        nftnl_chain_free(c);
        return MNL_CB_ERROR;
    }
    remember(&chains, nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY), nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
             nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
    nftnl_chain_free(c);
    return MNL_CB_OK;
}

static int on_gen(const struct nlmsghdr *nlh, void *data) {
    struct nftnl_gen *g = nftnl_gen_alloc();
    if (g == NULL || nftnl_gen_nlmsg_parse(nlh, g) < 0) {
        nftnl_gen_free(g);
        return MNL_CB_ERROR;
    }
    *(uint32_t *)data = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
    nftnl_gen_free(g);
    return MNL_CB_OK;
}

static int on_table(const struct nlmsghdr *nlh, void *data) {
    (void)data;
    struct nftnl_table *t = nftnl_table_alloc();
    if (t == NULL || nftnl_table_nlmsg_parse(nlh, t) < 0) {
        nftnl_table_free(t);
        return MNL_CB_ERROR;
    }
    nftnl_table_snprintf(text, sizeof text, t, NFTNL_OUTPUT_DEFAULT, 0);
    puts(text);
    nftnl_table_free(t);
    return MNL_CB_OK;
}

static int on_set(const struct nlmsghdr *nlh, void *data) {
    (void)data;
    struct nftnl_set *s = nftnl_set_alloc();
    if (s == NULL || nftnl_set_nlmsg_parse(nlh, s) < 0) {
        nftnl_set_free(s);
        return MNL_CB_ERROR;
    }
    remember(&sets, nftnl_set_get_u32(s, NFTNL_SET_FAMILY), nftnl_set_get_str(s, NFTNL_SET_TABLE),
             nftnl_set_get_str(s, NFTNL_SET_NAME));
    nftnl_set_free(s);
    return MNL_CB_OK;
}

// Every answer to one set's element dump adds to the same set; printed after.
static int on_elements(const struct nlmsghdr *nlh, void *data) {
    return nftnl_set_elems_nlmsg_parse(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int on_rule(const struct nlmsghdr *nlh, void *data) {
    (void)data;
    struct nftnl_rule *r = nftnl_rule_alloc();
    if (r == NULL || nftnl_rule_nlmsg_parse(nlh, r) < 0) {
        nftnl_rule_free(r);
        return MNL_CB_ERROR;
    }
    nftnl_rule_snprintf(text, sizeof text, r, NFTNL_OUTPUT_DEFAULT, 0);
    fputs(text, stdout);  // ends with a newline
    rules_printed++;
    nftnl_rule_free(r);
    return MNL_CB_OK;
}

// Sends one request and runs `cb` on its answer (a dump's: until NLMSG_DONE).
static int dump(struct mnl_socket *nl, struct nlmsghdr *request, mnl_cb_t cb, void *data) {
    static char buf[1 << 16];
    uint32_t portid = mnl_socket_get_portid(nl), seq = request->nlmsg_seq;
    if (mnl_socket_sendto(nl, request, request->nlmsg_len) < 0) return -1;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
        if (n < 0) return -1;
        int ret = mnl_cb_run(buf, n, seq, portid, cb, data);
        if (ret <= MNL_CB_STOP || !(request->nlmsg_flags & NLM_F_DUMP)) return ret;  // one answer unless a dump
    }
}

int main(int argc, char **argv) {
    int per_chain = argc > 1 && strcmp(argv[1], "-c") == 0;
    static char request[8192];
    struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
    if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        perror("netlink");
        return 1;
    }
    uint32_t seq = (uint32_t)time(NULL), gen_before = 0, gen_after = 0;
    struct nlmsghdr *nlh;
#define DUMP(type, family, flags, cb, data, what)                                     \
    do {                                                                              \
        nlh = nftnl_nlmsg_build_hdr(request, (type), (family), (flags), ++seq);       \
        if (dump(nl, nlh, (cb), (data)) < 0) {                                        \
            perror(what);                                                             \
            return 1;                                                                 \
        }                                                                             \
    } while (0)

    DUMP(NFT_MSG_GETGEN, NFPROTO_UNSPEC, 0, on_gen, &gen_before, "generation");
    DUMP(NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NLM_F_DUMP, on_table, NULL, "table dump");
    DUMP(NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, on_chain, NULL, "chain dump");
    DUMP(NFT_MSG_GETSET, NFPROTO_UNSPEC, NLM_F_DUMP, on_set, NULL, "set dump");
    for (size_t i = 0; i < sets.count; i++) {
        struct nftnl_set *s = nftnl_set_alloc();
        if (s == NULL) abort();
        nftnl_set_set_str(s, NFTNL_SET_TABLE, sets.items[i].table);
        nftnl_set_set_str(s, NFTNL_SET_NAME, sets.items[i].name);
        nftnl_set_set_u32(s, NFTNL_SET_FAMILY, sets.items[i].family);
        nlh = nftnl_nlmsg_build_hdr(request, NFT_MSG_GETSETELEM, (uint16_t)sets.items[i].family, NLM_F_DUMP, ++seq);
        nftnl_set_elems_nlmsg_build_payload(nlh, s);
        if (dump(nl, nlh, on_elements, s) < 0) {
            perror("element dump");
            return 1;
        }
        nftnl_set_snprintf(text, sizeof text, s, NFTNL_OUTPUT_DEFAULT, 0);
        puts(text);
        nftnl_set_free(s);
    }
    for (size_t i = 0; i < chains.count; i++) printf("chain %s %s\n", chains.items[i].table, chains.items[i].name);
    if (!per_chain) {
        DUMP(NFT_MSG_GETRULE, NFPROTO_UNSPEC, NLM_F_DUMP, on_rule, NULL, "rule dump");
    } else {
        for (size_t i = 0; i < chains.count; i++) {
            struct nftnl_rule *r = nftnl_rule_alloc();
            if (r == NULL) abort();
            nftnl_rule_set_str(r, NFTNL_RULE_TABLE, chains.items[i].table);
            nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chains.items[i].name);
            nlh = nftnl_nlmsg_build_hdr(request, NFT_MSG_GETRULE, (uint16_t)chains.items[i].family, NLM_F_DUMP, ++seq);
            nftnl_rule_nlmsg_build_payload(nlh, r);
            nftnl_rule_free(r);
            if (dump(nl, nlh, on_rule, NULL) < 0) {
                perror("rule dump");
                return 1;
            }
        }
    }
    DUMP(NFT_MSG_GETGEN, NFPROTO_UNSPEC, 0, on_gen, &gen_after, "generation");
    fprintf(stderr, "%zu chains, %zu sets, %lu rules%s\n", chains.count, sets.count, rules_printed,
            gen_before == gen_after ? "" : " (the ruleset changed while it was read)");
    mnl_socket_close(nl);
    return 0;
}
