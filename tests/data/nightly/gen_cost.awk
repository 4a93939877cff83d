# tests/data/nightly/gen_cost.awk - a valid, deterministic cost submission (DATA-CONTRACT.md §2.1)
# of any size, for the nightly and fault tests (a slow run, independent files for --jobs).
#
#   awk -v org=RGG -v fy=202324 -v feed=APC -v n=150000 [-v mtfm=5] [-v seed=1] -f gen_cost.awk
#
# n ordinary lines (activity ids ORG-FEED-0000001...), then mtfm MTFM lines attributed to UroLift
# (MTG58, 1 unit, 2450.00 each). seed varies the costs, so two files of the same key and size
# still differ in content and total. Use an org with no ledger row (the demo ledger names RAA,
# RBB and RCC only), or the ±1 % ledger check will quarantine the file.
BEGIN {
    if (org == "" || fy == "" || feed == "" || n == "") {
        print "gen_cost.awk: set org, fy, feed and n" > "/dev/stderr"
        exit 2
    }
    seed += 0
    print "fin_year,org_code,feed,activity_id,currency_code,service_code,department_code,opcs_procedure,collection_resource,collection_activity,technology_id,activity_count,cost"
    nres = split("STAFFMED STAFFNUR DRUGS WARDS THEATRE PATHOLOGY PROSTH CRITCARE", res, " ")
    nact = split("WARD THEATRE DIAG CRITCARE OPPROC CLINIC", act, " ")
    ncur = split("WF01A FD01A HC20G LB09C AA22C", cur, " ")
    for (i = 1; i <= n; i++) {
        pounds = (i * 7919 + seed * 104729) % 9000 + 50
        printf "%s,%s,%s,%s-%s-%07d,%s,%d,EL,,%s,%s,,%d,%d.%02d\n", fy, org, feed, org, feed, i,
               cur[i % ncur + 1], 100 + i % 3 * 10, res[i % nres + 1], act[i % nact + 1], i % 4 + 1,
               pounds, (i + seed) % 100
    }
    for (i = 1; i <= mtfm + 0; i++)
        printf "%s,%s,%s,%s-%s-M%06d,LB29B,101,DC,M65.1,MTFM,THEATRE,MTG58,1,2450.00\n", fy, org, feed, org, feed, i
}
