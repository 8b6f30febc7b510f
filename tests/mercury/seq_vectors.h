/* The official SDK's Locus sequence test vectors, re-expressed as C data.
 *
 * Sources (webex/webex-js-sdk, the data only):
 *  - SeqCmp.json: packages/@webex/plugin-meetings/test/unit/spec/locus-info/lib/SeqCmp.json
 *    (version with result LOCUS_URL_CHANGED for updt26): 31 sequences,
 *    25 "comparisons" (compareSequence) and 23 "update_actions" (compare).
 *  - BasicSeqCmp.json: the plugin-meetings spec imports ./lib/BasicSeqCmp.json;
 *    the stored copy read is packages/node_modules/@webex/internal-plugin-locus/
 *    test/unit/lib/BasicSeqCmp.json: 88 sequences, 88 "comparisons".
 * Results keep the JSON's names; update actions translate as the official
 * spec does (ACCEPT_NEW = USE_INCOMING, KEEP_CURRENT = USE_CURRENT). */
#ifndef USM_TEST_SEQ_VECTORS_H
#define USM_TEST_SEQ_VECTORS_H

#include <stddef.h>
#include <stdint.h>

typedef struct seqvec_seq {
  const char *name;
  int64_t range_start, range_end;
  size_t n;
  int64_t e[13];
} seqvec_seq;

typedef struct seqvec_cmp {
  const char *name, *current, *incoming, *result;
} seqvec_cmp;

typedef struct seqvec_update {
  const char *name, *current, *newbase /* NULL: none */, *incoming;
  const char *current_url, *new_url; /* NULL: absent */
  const char *result;
} seqvec_update;

/* ---- SeqCmp.json ---- */

/* SeqCmp values all share this prefix: P(400) is 259005341176400. */
#define P(x) (INT64_C(259005341176000) + (x))

static const seqvec_seq seqcmp_seqs[] = {
  {"seq0", 0, 0, 0, {0}},
  {"seq1", 0, 0, 1, {P(400)}},
  {"seq1b", P(380), P(383), 0, {0}},
  {"seq1c", P(380), P(383), 1, {P(400)}},
  {"seq2", 0, 0, 10, {P(400), P(402), P(404), P(406), P(408), P(410), P(412), P(414), P(416), P(418)}},
  {"seq2b", P(381), P(383), 9, {P(402), P(404), P(406), P(408), P(410), P(412), P(414), P(416), P(418)}},
  {"seq3", P(380), P(383), 10, {P(400), P(402), P(404), P(406), P(408), P(410), P(412), P(414), P(416), P(418)}},
  {"seq3b", 0, 0, 9, {P(402), P(404), P(406), P(408), P(410), P(412), P(414), P(416), P(418)}},
  {"seq3c", P(381), P(383), 10, {P(400), P(402), P(404), P(406), P(408), P(410), P(412), P(414), P(416), P(418)}},
  {"seq3d", 0, 0, 11,
   {P(402), P(404), P(406), P(408), P(410), P(412), P(414), P(416), P(418), P(420), P(422)}},
  {"seq3e", P(381), P(383), 12,
   {P(400), P(402), P(404), P(406), P(408), P(410), P(412), P(414), P(416), P(418), P(420), P(422)}},
  {"seq3f", 0, 0, 12,
   {P(404), P(406), P(408), P(410), P(412), P(414), P(416), P(418), P(420), P(422), P(424), P(426)}},
  {"seq3g", P(370), P(383), 8, {P(400), P(402), P(404), P(406), P(408), P(410), P(412), P(414)}},
  {"seq4", P(380), P(383), 11,
   {P(400), P(402), P(404), P(405), P(406), P(408), P(410), P(412), P(414), P(416), P(418)}},
  {"seq4b", 0, 0, 11,
   {P(400), P(402), P(404), P(405), P(406), P(408), P(410), P(412), P(414), P(416), P(418)}},
  {"seq4c", P(380), P(383), 9, {P(400), P(402), P(406), P(407), P(408), P(410), P(412), P(414), P(416)}},
  {"seq4d", 0, 0, 11,
   {P(400), P(402), P(404), P(405), P(406), P(408), P(410), P(412), P(414), P(416), P(417)}},
  {"seq4e", P(380), P(383), 11,
   {P(400), P(402), P(404), P(405), P(406), P(408), P(410), P(412), P(414), P(416), P(417)}},
  {"seq4f", P(380), P(380), 11,
   {P(400), P(402), P(404), P(405), P(406), P(408), P(410), P(412), P(414), P(416), P(418)}},
  {"seq4g", P(380), P(383), 13,
   {P(400), P(402), P(404), P(405), P(406), P(408), P(410), P(412), P(414), P(416), P(418), P(420),
    P(422)}},
  {"seq5", 0, 0, 10, {P(700), P(702), P(704), P(706), P(708), P(710), P(712), P(714), P(716), P(718)}},
  {"seq5b", P(500), P(600), 10,
   {P(700), P(702), P(704), P(706), P(708), P(710), P(712), P(714), P(716), P(718)}},
  {"seq5c", P(380), P(418), 10,
   {P(700), P(702), P(704), P(706), P(708), P(710), P(712), P(714), P(716), P(718)}},
  {"seq5d", P(380), P(418), 0, {0}},
  {"seq5e", P(383), P(418), 0, {0}},
  {"seq5f", P(381), P(386), 5, {P(700), P(702), P(704), P(706), P(708)}},
  {"seq5g", P(381), P(386), 4, {P(702), P(704), P(706), P(708)}},
  {"seq6", 0, 0, 7, {P(400), P(403), P(406), P(408), P(412), P(414), P(418)}},
  {"seq7", P(380), P(418), 1, {P(818)}},
};
#undef P

static const seqvec_cmp seqcmp_cmps[] = {
  {"cmp1", "seq1", "seq2", "LESS_THAN"},
  {"cmp2", "seq2", "seq2", "EQUAL"},
  {"cmp3", "seq2", "seq3", "LESS_THAN"},
  {"cmp4", "seq3", "seq4", "LESS_THAN"},
  {"cmp5", "seq3", "seq2", "GREATER_THAN"},
  {"cmp6", "seq4", "seq5", "LESS_THAN"},
  {"cmp7", "seq2", "seq6", "DESYNC"},
  {"cmp8", "seq4", "seq7", "LESS_THAN"},
  {"cmp9", "seq1b", "seq0", "GREATER_THAN"},
  {"cmp10", "seq4b", "seq5", "LESS_THAN"},
  {"cmp11", "seq4", "seq5b", "LESS_THAN"},
  {"cmp12", "seq2", "seq3b", "GREATER_THAN"},
  {"cmp13", "seq3", "seq3c", "GREATER_THAN"},
  {"cmp14", "seq3b", "seq3d", "LESS_THAN"},
  {"cmp15", "seq3c", "seq3e", "LESS_THAN"},
  {"cmp16", "seq3d", "seq3f", "DESYNC"},
  {"cmp17", "seq3g", "seq3", "LESS_THAN"},
  {"cmp18", "seq4c", "seq4", "DESYNC"},
  {"cmp19", "seq4d", "seq4b", "DESYNC"},
  {"cmp20", "seq4e", "seq4", "DESYNC"},
  {"cmp21", "seq0", "seq0", "EQUAL"},
  {"cmp22", "seq2", "seq0", "GREATER_THAN"},
  {"cmp23", "seq3", "seq0", "GREATER_THAN"},
  {"cmp24", "seq3", "seq3", "EQUAL"},
  {"cmp27", "seq4", "seq4f", "GREATER_THAN"},
};

static const seqvec_update seqcmp_updates[] = {
  {"updt1", "seq2", "seq2", "seq5", NULL, NULL, "ACCEPT_NEW"},
  {"updt2", "seq2", "seq2", "seq4", NULL, NULL, "ACCEPT_NEW"},
  {"updt3", "seq3", "seq2", "seq4", NULL, NULL, "ACCEPT_NEW"},
  {"updt4", "seq4", "seq4", "seq7", NULL, NULL, "ACCEPT_NEW"},
  {"updt5", "seq0", NULL, "seq0", NULL, NULL, "ACCEPT_NEW"},
  {"updt6", "seq1", NULL, "seq0", NULL, NULL, "ACCEPT_NEW"},
  {"updt6b", "seq2b", NULL, "seq0", NULL, NULL, "ACCEPT_NEW"},
  {"updt7", "seq0", NULL, "seq1", NULL, NULL, "ACCEPT_NEW"},
  {"updt8", "seq4", "seq4", "seq4", NULL, NULL, "KEEP_CURRENT"},
  {"updt9", "seq4", "seq5", "seq5", NULL, NULL, "DESYNC"},
  {"updt10", "seq2", NULL, "seq2", NULL, NULL, "KEEP_CURRENT"},
  {"updt11", "seq4", NULL, "seq5b", NULL, NULL, "ACCEPT_NEW"},
  {"updt12", "seq2", NULL, "seq3b", NULL, NULL, "KEEP_CURRENT"},
  {"updt13", "seq3", NULL, "seq2b", NULL, NULL, "KEEP_CURRENT"},
  {"updt14", "seq3d", NULL, "seq3f", NULL, NULL, "DESYNC"},
  {"updt15", "seq4", NULL, "seq5c", NULL, NULL, "ACCEPT_NEW"},
  {"updt18", "seq5f", "seq1c", "seq3", NULL, NULL, "DESYNC"},
  {"updt19", "seq5f", "seq3", "seq3", NULL, NULL, "DESYNC"},
  {"updt21", "seq3", "seq0", "seq5f", NULL, NULL, "DESYNC"},
  {"updt23", "seq5f", "seq5g", "seq5g", NULL, NULL, "KEEP_CURRENT"},
  {"updt24", "seq4", "seq4c", "seq4g", NULL, NULL, "DESYNC"},
  {"updt25", "seq4", "seq5c", "seq5b", NULL, NULL, "WAIT"},
  {"updt26", "seq4", "seq5c", "seq5b", "locus url 1", "locus url 2", "LOCUS_URL_CHANGED"},
};

/* ---- BasicSeqCmp.json ---- */

static const seqvec_seq basic_seqs[] = {
  {"test_ne2_09_b", 4, 5, 3, {52, 53, 64}},
  {"test_desync15_b", 0, 0, 6, {4, 5, 6, 7, 8, 9}},
  {"test_desync15_a", 0, 0, 6, {1, 2, 3, 4, 5, 6}},
  {"test_ne2_03_b", 10, 20, 3, {52, 53, 64}},
  {"test_ne2_03_a", 10, 24, 3, {52, 53, 64}},
  {"test_ne3_06_a", 5, 30, 3, {32, 33, 34}},
  {"test_ne2_01_a", 10, 20, 3, {52, 53, 64}},
  {"test_ne2_01_b", 14, 20, 3, {52, 53, 64}},
  {"test_desync01_b", 5, 20, 3, {32, 33, 34}},
  {"test_desync11_b", 0, 0, 3, {22, 23, 24}},
  {"test_desync11_a", 1, 10, 3, {52, 53, 54}},
  {"test_ne4_02_a", 20, 30, 3, {32, 33, 34}},
  {"test_ne4_02_b", 2, 7, 3, {12, 13, 27}},
  {"test_equals04_b", 15, 20, 3, {52, 53, 64}},
  {"test_equals04_a", 5, 10, 4, {16, 52, 53, 64}},
  {"test_ne2_11_b", 1, 10, 3, {12, 21, 50}},
  {"test_ne2_11_a", 1, 15, 3, {12, 21, 50}},
  {"test_equals02_a", 0, 0, 2, {1, 2}},
  {"test_equals02_b", 0, 0, 2, {1, 2}},
  {"test_ne2_07_a", 38, 57, 1, {57}},
  {"test_desync07_b", 5, 20, 3, {22, 23, 34}},
  {"test_desync13_a", 0, 0, 3, {55, 58, 64}},
  {"test_desync09_a", 10, 20, 3, {55, 58, 64}},
  {"test_desync09_b", 0, 0, 3, {2, 3, 21}},
  {"test_desync13_b", 0, 0, 3, {2, 3, 56}},
  {"test_ne3_07_b", 1, 10, 3, {22, 23, 30}},
  {"test_ne2_06_b", 38, 38, 4, {50, 57, 60, 61}},
  {"test_ne2_06_a", 38, 47, 4, {50, 57, 60, 61}},
  {"test_desync10_b", 0, 0, 3, {11, 12, 21}},
  {"test_desync10_a", 10, 20, 3, {55, 58, 64}},
  {"test_ne2_10_b", 1, 5, 1, {64}},
  {"test_ne2_10_a", 1, 20, 1, {64}},
  {"test_ne3_07_a", 5, 30, 3, {32, 33, 34}},
  {"test_desync07_a", 1, 30, 3, {52, 53, 54}},
  {"test_equals03_a", 5, 10, 3, {52, 53, 64}},
  {"test_equals03_b", 15, 20, 3, {52, 53, 64}},
  {"test_equals01_b", 1, 10, 3, {12, 13, 14}},
  {"test_ne3_09_a", 1, 30, 3, {52, 53, 54}},
  {"test_desync03_b", 3, 20, 1, {52}},
  {"test_desync03_a", 4, 5, 1, {64}},
  {"test_equals01_a", 1, 10, 3, {12, 13, 14}},
  {"test_desync05_a", 1, 10, 3, {12, 21, 50}},
  {"test_desync05_b", 1, 20, 3, {21, 45, 48}},
  {"test_desync14_b", 0, 0, 3, {2, 3, 76}},
  {"test_desync08_a", 10, 20, 3, {34, 35, 45}},
  {"test_desync08_b", 30, 40, 3, {52, 53, 64}},
  {"test_ne2_07_b", 38, 42, 5, {48, 50, 52, 54, 57}},
  {"test_desync14_a", 0, 0, 3, {55, 58, 64}},
  {"test_desync12_a", 0, 0, 3, {55, 58, 64}},
  {"test_desync12_b", 0, 0, 3, {2, 3, 55}},
  {"test_ne3_08_b", 5, 20, 3, {22, 23, 24}},
  {"test_ne3_08_a", 1, 30, 3, {52, 53, 54}},
  {"test_ne1_04_a", 0, 0, 1, {2}},
  {"test_ne1_04_b", 0, 0, 1, {1}},
  {"test_ne3_02_a", 1, 20, 1, {64}},
  {"test_ne3_02_b", 1, 5, 1, {14}},
  {"test_ne1_02_b", 1, 10, 3, {22, 23, 24}},
  {"test_ne1_02_a", 0, 0, 3, {52, 53, 54}},
  {"test_ne3_04_b", 1, 10, 2, {12, 21}},
  {"test_ne3_04_a", 1, 20, 3, {21, 45, 48}},
  {"test_ne2_08_a", 3, 20, 3, {52, 53, 64}},
  {"test_desync01_a", 1, 10, 3, {22, 23, 24}},
  {"test_ne3_06_b", 1, 10, 3, {22, 23, 24}},
  {"test_ne2_08_b", 1, 5, 3, {52, 53, 64}},
  {"test_ne2_04_a", 10, 20, 3, {52, 53, 64}},
  {"test_ne2_04_b", 0, 0, 3, {52, 53, 64}},
  {"test_desync02_b", 5, 20, 3, {22, 23, 24}},
  {"test_desync02_a", 1, 10, 3, {32, 33, 34}},
  {"test_ne2_02_b", 14, 20, 3, {52, 53, 64}},
  {"test_ne2_02_a", 10, 22, 3, {52, 53, 64}},
  {"test_ne3_09_b", 0, 0, 3, {22, 23, 24}},
  {"test_desync04_a", 1, 5, 1, {52}},
  {"test_desync04_b", 1, 20, 1, {64}},
  {"test_ne3_03_a", 15, 20, 5, {50, 52, 53, 64, 68}},
  {"test_ne3_03_b", 5, 10, 3, {52, 53, 64}},
  {"test_ne4_01_b", 0, 0, 3, {2, 3, 17}},
  {"test_ne3_05_b", 1, 15, 3, {12, 21, 50}},
  {"test_ne3_05_a", 1, 10, 5, {12, 21, 50, 90, 91}},
  {"test_ne4_01_a", 10, 20, 3, {22, 23, 24}},
  {"test_ne1_05_a", 0, 0, 3, {55, 58, 64}},
  {"test_ne1_05_b", 0, 0, 3, {2, 3, 7}},
  {"test_ne3_01_b", 1, 10, 3, {22, 23, 24}},
  {"test_ne3_01_a", 20, 30, 3, {32, 33, 34}},
  {"test_ne1_01_a", 20, 100, 3, {120, 130, 140}},
  {"test_ne1_01_b", 1, 10, 3, {12, 13, 14}},
  {"test_ne2_09_a", 3, 20, 3, {52, 53, 64}},
  {"test_ne1_03_b", 0, 0, 3, {2, 3, 7}},
  {"test_ne1_03_a", 10, 20, 3, {22, 23, 24}},
};

/* Every BasicSeqCmp case compares X_a (current) with X_b (new); its "_rev"
 * twin compares X_b with X_a. Listed in the file's order. */
#define FWD(x, r) {#x, #x "_a", #x "_b", r}
#define REV(x, r) {#x "_rev", #x "_b", #x "_a", r}
static const seqvec_cmp basic_cmps[] = {
  REV(test_equals01, "EQUAL"),      REV(test_ne2_04, "LESS_THAN"),    REV(test_desync03, "DESYNC"),
  REV(test_ne2_02, "LESS_THAN"),    REV(test_desync13, "DESYNC"),     REV(test_ne2_10, "LESS_THAN"),
  REV(test_ne3_03, "LESS_THAN"),    REV(test_ne1_03, "LESS_THAN"),    REV(test_equals03, "EQUAL"),
  REV(test_desync04, "DESYNC"),     REV(test_desync02, "DESYNC"),     FWD(test_desync11, "DESYNC"),
  FWD(test_desync10, "DESYNC"),     FWD(test_desync13, "DESYNC"),     FWD(test_desync12, "DESYNC"),
  REV(test_ne1_05, "LESS_THAN"),    FWD(test_desync14, "DESYNC"),     REV(test_ne2_06, "LESS_THAN"),
  FWD(test_ne1_05, "GREATER_THAN"), FWD(test_ne1_04, "GREATER_THAN"), FWD(test_ne1_03, "GREATER_THAN"),
  FWD(test_ne1_02, "GREATER_THAN"), FWD(test_ne1_01, "GREATER_THAN"), REV(test_desync12, "DESYNC"),
  REV(test_ne2_09, "LESS_THAN"),    FWD(test_ne2_11, "GREATER_THAN"), FWD(test_ne2_10, "GREATER_THAN"),
  REV(test_desync09, "DESYNC"),     FWD(test_desync08, "DESYNC"),     FWD(test_desync09, "DESYNC"),
  FWD(test_desync02, "DESYNC"),     FWD(test_desync03, "DESYNC"),     REV(test_ne2_11, "LESS_THAN"),
  FWD(test_desync01, "DESYNC"),     FWD(test_desync07, "DESYNC"),     FWD(test_desync04, "DESYNC"),
  FWD(test_desync05, "DESYNC"),     REV(test_ne3_01, "LESS_THAN"),    REV(test_desync07, "DESYNC"),
  FWD(test_equals04, "EQUAL"),      REV(test_desync15, "DESYNC"),     FWD(test_equals01, "EQUAL"),
  FWD(test_equals03, "EQUAL"),      REV(test_ne3_08, "LESS_THAN"),    REV(test_desync01, "DESYNC"),
  REV(test_desync10, "DESYNC"),     FWD(test_ne2_02, "GREATER_THAN"), FWD(test_ne2_03, "GREATER_THAN"),
  FWD(test_ne2_01, "GREATER_THAN"), FWD(test_ne2_06, "GREATER_THAN"), FWD(test_ne2_07, "GREATER_THAN"),
  FWD(test_ne2_04, "GREATER_THAN"), FWD(test_desync15, "DESYNC"),     FWD(test_ne2_08, "GREATER_THAN"),
  FWD(test_ne2_09, "GREATER_THAN"), REV(test_equals04, "EQUAL"),      REV(test_ne1_02, "LESS_THAN"),
  REV(test_ne3_04, "LESS_THAN"),    REV(test_ne2_07, "LESS_THAN"),    REV(test_ne1_04, "LESS_THAN"),
  REV(test_desync08, "DESYNC"),     FWD(test_equals02, "EQUAL"),      REV(test_ne2_08, "LESS_THAN"),
  FWD(test_ne3_05, "GREATER_THAN"), FWD(test_ne3_04, "GREATER_THAN"), FWD(test_ne3_07, "GREATER_THAN"),
  FWD(test_ne3_06, "GREATER_THAN"), FWD(test_ne3_01, "GREATER_THAN"), FWD(test_ne3_03, "GREATER_THAN"),
  FWD(test_ne3_02, "GREATER_THAN"), FWD(test_ne3_09, "GREATER_THAN"), FWD(test_ne3_08, "GREATER_THAN"),
  REV(test_ne3_09, "LESS_THAN"),    REV(test_desync05, "DESYNC"),     REV(test_ne3_07, "LESS_THAN"),
  REV(test_ne2_01, "LESS_THAN"),    REV(test_ne3_05, "LESS_THAN"),    FWD(test_ne4_01, "GREATER_THAN"),
  FWD(test_ne4_02, "GREATER_THAN"), REV(test_desync11, "DESYNC"),     REV(test_desync14, "DESYNC"),
  REV(test_ne3_02, "LESS_THAN"),    REV(test_ne3_06, "LESS_THAN"),    REV(test_ne2_03, "LESS_THAN"),
  REV(test_ne4_02, "LESS_THAN"),    REV(test_ne1_01, "LESS_THAN"),    REV(test_equals02, "EQUAL"),
  REV(test_ne4_01, "LESS_THAN"),
};
#undef FWD
#undef REV

#endif
