"""Spearman's rho and Kendall's tau-b reference values from scipy, for the judge's agreement with people.

Run with Debian's scipy (apt-get install python3-scipy), not a virtual environment's:
    /usr/bin/python3 tools/reference/make_correlation_reference.py tests/StyleStudio.Tests/Fixtures/metrics/correlation.json
Cases are what the judge meets: integer 1-5 judge scores (many ties) against human scores that are single ratings or
the mean of two or three raters, plus hand-made edge cases (perfect, reversed, one list constant: scipy gives NaN,
written as null). Values are written with repr precision.
"""
import json, math, random, sys

import scipy
from scipy.stats import kendalltau, spearmanr


def value(x):
    x = float(x)
    return None if math.isnan(x) else x


def case(name, judge, human):
    rho = spearmanr(judge, human).statistic
    tau = kendalltau(judge, human, variant="b").statistic
    return {"name": name, "judge": judge, "human": human, "spearman": value(rho), "kendall_tau_b": value(tau)}


def main(out):
    rng = random.Random(20261130)
    cases = [
        case("perfect", [1, 2, 3, 4, 5], [1.0, 2.0, 3.0, 4.0, 5.0]),
        case("reversed", [1, 2, 3, 4, 5], [5.0, 4.0, 3.0, 2.0, 1.0]),
        case("two pairs", [1, 5], [2.0, 3.0]),
        case("ties on both sides", [3, 3, 4, 5, 5, 1, 2, 2], [2.5, 3.0, 3.0, 4.5, 4.0, 1.0, 3.0, 2.0]),
        case("judge constant", [4, 4, 4, 4], [1.0, 2.0, 3.0, 4.0]),
        case("human constant", [1, 2, 3, 4], [3.0, 3.0, 3.0, 3.0]),
        case("negative values and fractions", [-1.5, 0.25, 0.25, 7.0, 3.0], [0.1, 0.1, -2.0, 5.5, 5.5]),
    ]
    for n, raters in [(12, 1), (40, 2), (150, 3), (400, 2)]:
        truth = [rng.uniform(1, 5) for _ in range(n)]
        judge = [min(5, max(1, round(t + rng.gauss(0, 0.9)))) for t in truth]
        human = [round(sum(min(5, max(1, round(t + rng.gauss(0, 0.7)))) for _ in range(raters)) / raters, 12) for t in truth]
        cases.append(case(f"{n} rows, mean of {raters} rater(s)", judge, human))
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"scipy": scipy.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
