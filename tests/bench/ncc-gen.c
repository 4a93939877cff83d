/*
 * ncc-gen - deterministic generator of realistic NCC input for scripts/bench.
 *
 *   ncc-gen [--kind cost|nhssc] [--rows N] [--seed S] [--shard I/N] [--block N] [--gzip]
 *           [-o FILE]
 *
 * cost:  patient-level cost lines in the 13 columns of schemas/cost.json. Each
 *        patient activity (ORG-FEED-nnnnnnnn, unique in the file) has 1 to 6
 *        lines with distinct collection resources, so the key (fin_year,
 *        org_code, feed, activity_id, collection_resource, collection_activity)
 *        is unique. Lines come in submissions (a trust's fin year of one feed) of
 *        --block rows on average (default 5000), as if trusts' extracts were
 *        concatenated: activity ids ascend within each. About 5 % of the lines are MTFM lines (collection_resource
 *        MTFM) with a technology id of fixtures/reference/technology.csv (a few
 *        by a superseded alias, a few attributed through their OPCS procedure);
 *        providers are 300 distinct 3-character ODS codes; fin years 2022/23 to
 *        2024/25; money with 2 decimals.
 * nhssc: NHS Supply Chain invoice lines (schemas/nhssc.json): unique
 *        (invoice_no, line_no), trust and site ODS codes, products of
 *        fixtures/reference/product_map.csv (~10 %) and others with valid GS1
 *        check digits, descriptions with quoted commas and quotes, ~2 % credits.
 *
 * Every value is valid: a file of either kind validates clean. The output
 * depends only on the options (a fixed xorshift generator, no clock). N
 * accepts a suffix k or M (2M = 2,000,000). --shard I/N keeps only the
 * providers whose index is I modulo N, so that N shards of one seed hold
 * disjoint submissions (fin_year, org_code, feed) and can be loaded in
 * parallel. Rows are data rows; the header line comes on top.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define OUT_CAP (1 << 20)
#define NTRUSTS 300

/* ---- output ------------------------------------------------------------ */

static char out_buf[OUT_CAP + 4096];
static size_t out_len;
static FILE *out_file;
static gzFile out_gz;

static void flush_out(void)
{
    if (!out_len)
        return;
    if (out_gz) {
        if (gzwrite(out_gz, out_buf, (unsigned)out_len) != (int)out_len) {
            fprintf(stderr, "ncc-gen: gzip write failed\n");
            exit(74);
        }
    } else if (fwrite(out_buf, 1, out_len, out_file) != out_len) {
        fprintf(stderr, "ncc-gen: write failed: %s\n", strerror(errno));
        exit(74);
    }
    out_len = 0;
}

static void put(const char *s, size_t n)
{
    memcpy(out_buf + out_len, s, n);
    out_len += n;
}

static void puts_(const char *s)
{
    put(s, strlen(s));
}

static void putc_(char c)
{
    out_buf[out_len++] = c;
}

static void put_u64(uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out_buf[out_len++] = tmp[--n];
}

/* v zero-padded to width digits */
static void put_u64_w(uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || n < width);
    while (n)
        out_buf[out_len++] = tmp[--n];
}

/* an amount in pence as pounds with 2 decimals */
static void put_money(uint64_t pence)
{
    put_u64(pence / 100);
    putc_('.');
    put_u64_w(pence % 100, 2);
}

/* a CSV field, quoted when it holds a comma, quote or newline */
static void put_field(const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        puts_(s);
        return;
    }
    putc_('"');
    for (; *s; s++) {
        if (*s == '"')
            putc_('"');
        putc_(*s);
    }
    putc_('"');
}

static void end_row(void)
{
    putc_('\n');
    if (out_len >= OUT_CAP)
        flush_out();
}

/* ---- randomness -------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64* */
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* uniform in [0, n) */
static uint32_t below(uint32_t n)
{
    return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

/* true with probability per_mille / 1000 */
static bool chance(uint32_t per_mille)
{
    return below(1000) < per_mille;
}

#define PICK(arr) (arr[below((uint32_t)(sizeof arr / sizeof arr[0]))])
#define COUNT(arr) ((uint32_t)(sizeof arr / sizeof arr[0]))

/* ---- reference-like values --------------------------------------------- */

static char trusts[NTRUSTS][4];
static int shard_trusts[NTRUSTS];
static int nshard_trusts;

static void make_trusts(int shard, int nshards)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int i = 0; i < NTRUSTS; i++) {
        /* R + letter + letter-or-digit; 37 is prime to 26 * 36 so the codes are distinct */
        unsigned k = (unsigned)(i * 37 + 11) % (26 * 36);
        trusts[i][0] = 'R';
        trusts[i][1] = alnum[k / 36];
        trusts[i][2] = alnum[k % 36];
        trusts[i][3] = '\0';
        if (i % nshards == shard)
            shard_trusts[nshard_trusts++] = i;
    }
}

static const char *const fin_years[] = {"202223", "202324", "202425"};

/* canonical technology ids of fixtures/reference/technology.csv */
static const char *const technologies[] = {"DG49",  "MTG34", "MTG32", "MTG46", "MTG74", "MTG49",
                                           "MTG53", "MTG58", "MTG28", "MTG30", "MTG37", "MTG76"};
/* superseded ids of technology_alias.csv */
static const char *const tech_aliases[] = {"DG23", "MTG29"};
/* OPCS codes that procedure_map.csv maps to exactly one technology */
static const char *const mapped_opcs[] = {"M65.1", "M65.3", "L91.2"};

static const char *const opcs_codes[] = {"H22.9", "W40.1", "M42.1", "W37.1", "K40.1", "Q07.4",
                                         "C71.2", "T20.2", "W38.1", "H20.1", "M45.9", "U05.1",
                                         "X29.2", "E03.6", "G45.1", "A57.7"};

static const char *const resources[] = {"STAFFMED",  "STAFFNUR", "STAFFAHP", "WARDS",
                                        "THEATRE",   "DRUGS",    "PATHOLOGY", "IMAGING",
                                        "CRITCARE",  "PROSTH",   "CSSD",     "OVERHEADS"};
static const char *const activities[] = {"WARD", "THEATRE", "DIAG", "OPPROC", "CRITCARE",
                                         "OPATT", "ECATT", "PHARM"};
static const char *const service_codes[] = {"100", "101", "110", "120", "130", "300",
                                            "301", "320", "330", "340", "400", "420",
                                            "430", "502", "800", "180"};

typedef struct feed_def {
    const char *feed;
    unsigned per_mille; /* cumulative */
    const char *const *currencies;
    int ncur;
    const char *const *departments;
    int ndept;
} feed_def;

static const char *const apc_cur[] = {"WF01A", "LB09C", "HC20G", "AA22C", "FD01A", "LB29B",
                                      "EB03E", "HN12D", "DZ11R", "LA08E", "HE81B", "YQ51E"};
static const char *const op_cur[] = {"WF01A", "WF01B", "WF02A", "WF01D", "LB09C", "BZ24F"};
static const char *const ec_cur[] = {"VB01Z", "VB03Z", "VB06Z", "VB08Z", "VB09Z", "VB11Z"};
static const char *const other_cur[] = {"SWC01", "SWC02", "OTH99", "CHEM01"};
static const char *const apc_dept[] = {"EL", "NEL", "DC", "RP", "NELST"};
static const char *const op_dept[] = {"CL", "OPROC", "WA", "NCL"};
static const char *const ec_dept[] = {"EC_T1", "EC_T2", "EC_T3"};
static const char *const other_dept[] = {"CC", "OTHER"};

static const feed_def feeds[] = {
    {"APC", 500, apc_cur, COUNT(apc_cur), apc_dept, COUNT(apc_dept)},
    {"OP", 850, op_cur, COUNT(op_cur), op_dept, COUNT(op_dept)},
    {"EC", 950, ec_cur, COUNT(ec_cur), ec_dept, COUNT(ec_dept)},
    {"SWC", 980, other_cur, COUNT(other_cur), other_dept, COUNT(other_dept)},
    {"OTHER", 1000, other_cur, COUNT(other_cur), other_dept, COUNT(other_dept)},
};

static const feed_def *pick_feed(void)
{
    uint32_t r = below(1000);
    for (size_t i = 0; i < sizeof feeds / sizeof feeds[0]; i++)
        if (r < feeds[i].per_mille)
            return &feeds[i];
    return &feeds[0];
}

/* ---- cost lines -------------------------------------------------------- */

static const char cost_header[] =
    "fin_year,org_code,feed,activity_id,currency_code,service_code,department_code,"
    "opcs_procedure,collection_resource,collection_activity,technology_id,activity_count,cost\n";

static void gen_cost(uint64_t rows, uint64_t block)
{
    puts_(cost_header);
    uint64_t done = 0, activity = 0, block_left = 0;
    const char *trust = NULL, *fy = NULL;
    const feed_def *fd = NULL;
    while (done < rows) {
        if (block_left == 0) {
            /* the next submission (a trust's year of one feed), rows in activity order */
            trust = trusts[shard_trusts[below((uint32_t)nshard_trusts)]];
            fy = PICK(fin_years);
            fd = pick_feed();
            block_left = block <= 1 ? 1 : block / 2 + 1 + below((uint32_t)block);
        }
        const char *currency = fd->currencies[below((uint32_t)fd->ncur)];
        const char *service = PICK(service_codes);
        const char *dept = fd->departments[below((uint32_t)fd->ndept)];
        const char *opcs = chance(450) ? PICK(opcs_codes) : "";
        uint32_t nlines = 1 + below(6);
        block_left = block_left > nlines ? block_left - nlines : 0;
        /* one MTFM line in 17.5 % of activities of 3.5 lines on average: ~5 % of lines */
        int mtfm_at = chance(175) ? (int)below(nlines) : -1;
        uint32_t first = below(COUNT(resources));
        activity++;
        for (uint32_t j = 0; j < nlines && done < rows; j++, done++) {
            bool mtfm = (int)j == mtfm_at;
            const char *res = resources[(first + j) % COUNT(resources)];
            const char *tech = "";
            const char *line_opcs = opcs;
            uint64_t count, pence;
            if (mtfm) {
                res = "MTFM";
                uint32_t r = below(100);
                if (r < 90) {
                    tech = PICK(technologies);
                } else if (r < 93) {
                    tech = PICK(tech_aliases);
                } else {
                    line_opcs = PICK(mapped_opcs); /* attributed by its procedure */
                }
                count = 1 + below(5);
                pence = count * (50000 + below(1200000));
            } else {
                count = below(8) < 1 ? 0 : 1 + below(4);
                pence = 500 + (uint64_t)below(900000) + (uint64_t)below(100) * below(100);
            }
            puts_(fy);
            putc_(',');
            puts_(trust);
            putc_(',');
            puts_(fd->feed);
            putc_(',');
            puts_(trust);
            putc_('-');
            puts_(fd->feed);
            putc_('-');
            put_u64_w(activity, 8);
            putc_(',');
            puts_(currency);
            putc_(',');
            puts_(service);
            putc_(',');
            puts_(dept);
            putc_(',');
            puts_(line_opcs);
            putc_(',');
            puts_(res);
            putc_(',');
            puts_(activities[below(COUNT(activities))]);
            putc_(',');
            puts_(tech);
            putc_(',');
            put_u64(count);
            putc_(',');
            put_money(pence);
            end_row();
        }
    }
}

/* ---- NHS Supply Chain lines -------------------------------------------- */

static const char nhssc_header[] =
    "invoice_date,invoice_no,line_no,customer_ods,npc,gtin,mpc,supplier,description,quantity,"
    "unit_price_ex_vat,line_value_ex_vat,is_credit\n";

typedef struct product {
    const char *npc, *gtin, *supplier, *description;
    uint32_t pence;
} product;

/* the MTFM products of fixtures/reference/product_map.csv */
static const product mtfm_products[] = {
    {"FWB101", "5012345000015", "Teleflex", "UroLift implant, pack of 4", 980000},
    {"FWB102", "5012345000022", "Teleflex", "UroLift implant, single", 245000},
    {"FWC201", "5012345000039", "Boston Scientific", "GreenLight XPS fibre", 120000},
    {"FWC301", "5012345000046", "Boston Scientific", "Rezum delivery device", 90000},
    {"FWC401", "5012345000053", "Olympus", "PLASMA button electrode", 32000},
    {"FWD501", "5012345000060", "Interrad Medical", "SecurAcath 6Fr, box of 10", 215000},
    {"FWE601", "5012345000077", "Medela", "Thopaz+ canister 0.8 l", 4100},
    {"FWE602", "5012345000084", "Roche", "Elecsys PlGF test, 20 tests", 38000},
    {"FWF701", "5012345000091", "HeartFlow", "HeartFlow FFRct analysis", 70000},
    {"", "5012345000107", "Medtronic", "XprESS ENT dilation system", 65000},
};

static const char *const suppliers[] = {"Medline International UK Ltd", "B. Braun Medical Ltd",
                                        "Smith & Nephew UK Ltd", "Mölnlycke Health Care",
                                        "3M United Kingdom PLC", "Becton Dickinson UK Ltd",
                                        "Cardinal Health UK", "Owens & Minor"};
static const char *const descriptions[] = {
    "Gauze swabs, non-woven, 10x10cm",
    "Nitrile examination gloves, medium, box of 100",
    "Catheter, Foley, 2-way, 14Ch",
    "Syringe 10ml luer lock",
    "Suture, absorbable, 3/0, 70cm",
    "Drape, surgical, \"universal\" pack",
    "IV administration set",
    "Wound dressing, foam, 10 x 10 cm",
    "Blood collection tube 4ml",
    "Apron, disposable, white",
    "Face mask, Type IIR",
    "Scalpel blade No. 22, sterile",
};

/* a GTIN-13 with prefix 50 and a valid GS1 check digit */
static void make_gtin(char out[14], uint64_t item)
{
    out[0] = '5';
    out[1] = '0';
    for (int i = 11; i >= 2; i--) {
        out[i] = (char)('0' + item % 10);
        item /= 10;
    }
    unsigned sum = 0, weight = 1;
    for (int i = 0; i < 12; i++) {
        sum += (unsigned)(out[i] - '0') * weight;
        weight ^= 2; /* 1, 3, 1, ... from the left for 13 digits */
    }
    out[12] = (char)('0' + (10 - sum % 10) % 10);
    out[13] = '\0';
}

static const int month_days[12] = {30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31}; /* Apr.. */

static void gen_nhssc(uint64_t rows)
{
    puts_(nhssc_header);
    uint64_t done = 0, invoice = 0;
    while (done < rows) {
        invoice++;
        const char *trust = trusts[shard_trusts[below((uint32_t)nshard_trusts)]];
        int fy = 2022 + (int)below(3);
        int mi = (int)below(12); /* 0 = April */
        int year = mi < 9 ? fy : fy + 1;
        int month = mi < 9 ? mi + 4 : mi - 8;
        int day = 1 + (int)below((uint32_t)month_days[mi]);
        char site[6];
        memcpy(site, trust, 3);
        bool at_site = chance(300);
        if (at_site) {
            site[3] = (char)('0' + below(10));
            site[4] = (char)('1' + below(9));
            site[5] = '\0';
        } else {
            site[3] = '\0';
        }
        bool credit = chance(20);
        uint32_t nlines = 1 + below(8);
        for (uint32_t ln = 1; ln <= nlines && done < rows; ln++, done++) {
            product p;
            char npc[8], gtin[14], mpc[16];
            if (chance(100)) {
                p = PICK(mtfm_products);
            } else {
                uint32_t item = below(40000);
                npc[0] = (char)('A' + item % 26);
                npc[1] = (char)('A' + item / 26 % 26);
                npc[2] = (char)('A' + item / 676 % 26);
                npc[3] = (char)('0' + item % 10);
                npc[4] = (char)('0' + item / 10 % 10);
                npc[5] = (char)('0' + item / 100 % 10);
                npc[6] = '\0';
                make_gtin(gtin, 100000 + item);
                p.npc = chance(950) ? npc : "";
                p.gtin = chance(700) || !p.npc[0] ? gtin : "";
                p.supplier = suppliers[item % COUNT(suppliers)];
                p.description = descriptions[item % COUNT(descriptions)];
                p.pence = 50 + item % 5000;
            }
            uint64_t qty = 1 + below(chance(900) ? 10 : 200);
            snprintf(mpc, sizeof mpc, "MPC-%05u", (unsigned)(below(100000)));
            /* ISO dates, with one line in 20 as DD/MM/YYYY (what Excel writes) */
            if (chance(50)) {
                put_u64_w((uint64_t)day, 2);
                putc_('/');
                put_u64_w((uint64_t)month, 2);
                putc_('/');
                put_u64((uint64_t)year);
            } else {
                put_u64((uint64_t)year);
                putc_('-');
                put_u64_w((uint64_t)month, 2);
                putc_('-');
                put_u64_w((uint64_t)day, 2);
            }
            putc_(',');
            puts_(credit ? "CR" : "INV");
            put_u64_w(invoice, 9);
            putc_(',');
            put_u64(ln);
            putc_(',');
            puts_(site);
            putc_(',');
            puts_(p.npc);
            putc_(',');
            puts_(p.gtin);
            putc_(',');
            puts_(chance(600) ? mpc : "");
            putc_(',');
            put_field(p.supplier);
            putc_(',');
            put_field(p.description);
            putc_(',');
            put_u64(qty);
            putc_(',');
            put_money(p.pence);
            putc_(',');
            put_money(p.pence * qty);
            putc_(',');
            putc_(credit ? 'Y' : 'N');
            end_row();
        }
    }
}

/* ---- options ----------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("Usage: ncc-gen [--kind cost|nhssc] [--rows N] [--seed S] [--shard I/N] [--block N]\n"
          "              [--gzip] [-o FILE]\n"
          "Write N (default 2M; suffix k or M) valid, realistic data rows of the kind as CSV\n"
          "(header first) to FILE or standard output; deterministic for given options.\n"
          "Cost lines come in submissions of about --block rows (default 5000; 1: every\n"
          "patient activity of a random trust, year and feed, the worst key order).\n",
          f);
}

static bool parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return false;
    if (*end == 'k' || *end == 'K') {
        v *= 1e3;
        end++;
    } else if (*end == 'm' || *end == 'M') {
        v *= 1e6;
        end++;
    }
    if (*end || v > 1e12)
        return false;
    *out = (uint64_t)(v + 0.5);
    return true;
}

int main(int argc, char **argv)
{
    const char *kind = "cost", *path = NULL;
    uint64_t rows = 2000000, seed = 20240401, block = 5000;
    int shard = 0, nshards = 1;
    bool gz = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--gzip") == 0) {
            gz = true;
        } else if (strcmp(a, "--kind") == 0 && v) {
            kind = v;
            i++;
        } else if (strcmp(a, "--rows") == 0 && v && parse_count(v, &rows)) {
            i++;
        } else if (strcmp(a, "--block") == 0 && v && parse_count(v, &block)) {
            i++;
        } else if (strcmp(a, "--seed") == 0 && v && parse_count(v, &seed)) {
            i++;
        } else if (strcmp(a, "--shard") == 0 && v &&
                   sscanf(v, "%d/%d", &shard, &nshards) == 2 && nshards >= 1 && shard >= 0 &&
                   shard < nshards && nshards <= NTRUSTS) {
            i++;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && v) {
            path = v;
            i++;
        } else {
            fprintf(stderr, "ncc-gen: bad option or value: %s\n", a);
            usage(stderr);
            return 64;
        }
    }
    if (strcmp(kind, "cost") != 0 && strcmp(kind, "nhssc") != 0) {
        fprintf(stderr, "ncc-gen: --kind must be cost or nhssc\n");
        return 64;
    }
    /* the kind and shard are part of the stream: shards of one seed differ */
    rng_state = (seed + 1) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(kind[0] * 131 + shard * 7919 + 1);
    if (!rng_state)
        rng_state = 1;
    make_trusts(shard, nshards);

    if (gz) {
        out_gz = path ? gzopen(path, "wb6") : gzdopen(1, "wb6");
        if (!out_gz) {
            fprintf(stderr, "ncc-gen: cannot open %s\n", path ? path : "standard output");
            return 74;
        }
    } else {
        out_file = path ? fopen(path, "wb") : stdout;
        if (!out_file) {
            fprintf(stderr, "ncc-gen: cannot open %s: %s\n", path, strerror(errno));
            return 74;
        }
    }
    if (kind[0] == 'c')
        gen_cost(rows, block);
    else
        gen_nhssc(rows);
    flush_out();
    if (out_gz) {
        if (gzclose(out_gz) != Z_OK) {
            fprintf(stderr, "ncc-gen: gzip close failed\n");
            return 74;
        }
    } else if (fclose(out_file) != 0) {
        fprintf(stderr, "ncc-gen: write failed: %s\n", strerror(errno));
        return 74;
    }
    return 0;
}
