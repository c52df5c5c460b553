/* report_sample.c - gp-report-sample OUTDIR: writes the reports of the synthetic fixture run
 * (report.json, report.xml, report.html with two scenarios, one failing and with a user
 * inconclusive because the harness stalled, with its health) plus base.json,
 * head-regressed.json and other-scenario.json for the schema, xmllint, chromium and compare
 * CTests. Not a unit test: a data generator. */
#include <stdio.h>
#include <stdlib.h>

#include "report_fixture.h"

static int write_one(const char *dir, const char *name, int variant, int64_t scale,
                     const char *scenario)
{
    fixture fx;
    gp_err err = {0};
    char *path = gp_asprintf("%s/%s", dir, name);
    int rc;

    fixture_init(&fx, variant, scale, scenario);
    rc = gp_report_write_json(path, &fx.suite, 1, FX_CTX, &err);
    if (rc != 0)
        fprintf(stderr, "gp-report-sample: %s: %s\n", path, err.msg);
    fixture_cleanup(&fx);
    free(path);
    return rc;
}

int main(int argc, char **argv)
{
    fixture fx[2];
    gp_suite suites[2];
    gp_err err = {0};
    char *json, *xml, *html;
    int rc = 0;

    if (argc != 2) {
        fputs("usage: gp-report-sample OUTDIR\n", stderr);
        return 2;
    }
    fixture_init(&fx[0], FX_FAIL, 1, NULL);
    fx_add_inconclusive(&fx[0]);
    fixture_init(&fx[1], FX_PASS, 2, "reconnect");
    suites[0] = fx[0].suite;
    suites[1] = fx[1].suite;
    json = gp_asprintf("%s/report.json", argv[1]);
    xml = gp_asprintf("%s/report.xml", argv[1]);
    html = gp_asprintf("%s/report.html", argv[1]);
    if (gp_report_write_json(json, suites, 2, FX_CTX, &err) != 0 ||
        gp_report_write_junit(xml, suites, 2, FX_CTX, &err) != 0 ||
        gp_report_write_html(html, suites, 2, FX_CTX, &err) != 0) {
        fprintf(stderr, "gp-report-sample: %s\n", err.msg);
        rc = 3;
    }
    fixture_cleanup(&fx[0]);
    fixture_cleanup(&fx[1]);
    free(json);
    free(xml);
    free(html);
    if (rc == 0 && (write_one(argv[1], "base.json", FX_PASS, 1, NULL) != 0 ||
                    write_one(argv[1], "head-regressed.json", FX_FAIL, 2, NULL) != 0 ||
                    write_one(argv[1], "other-scenario.json", FX_PASS, 1, "another") != 0))
        rc = 3;
    return rc;
}
