"""statsmodels' SARIMAX on the three ARIMA cases of bench/arima_vs_r.sh,
timed in-process (process CPU time of SARIMAX(...).fit(); best of REPS).
Prints one line per case: id spec period seconds loglik.  The series are
simulated here (numpy, fixed seed) with the same models as the R bench and
written to DIR/ID.csv for tsf.
    python3 arima_vs_statsmodels.py DIR REPS"""
import sys
import time
import warnings

import numpy as np
from statsmodels.tsa.arima_process import arma_generate_sample
from statsmodels.tsa.statespace.sarimax import SARIMAX


def main():
    out, reps = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(20240601)

    def arma(ar, ma, n):
        return arma_generate_sample(np.r_[1, -np.asarray(ar)], np.r_[1, np.asarray(ma)], n,
                                    distrvs=rng.standard_normal, burnin=500)

    s1 = arma([0.5, -0.3], [0.4, 0.2], 10000) + 10
    s2 = np.cumsum(arma([0.6], [-0.3], 20000))
    e3 = arma([0.5], [0.3], 3000)
    s3 = np.empty(3000)
    for t in range(3000):
        s3[t] = e3[t] + (s3[t - 12] if t >= 12 else 0.0)
    s3 += 100
    cases = [("arma22_n10000", s1, (2, 0, 2), (0, 0, 0, 0), 1, "arima(2,0,2)", "c"),
             ("arima111_n20000", s2, (1, 1, 1), (0, 0, 0, 0), 1, "arima(1,1,1)", "n"),
             ("sarima_101_011_12_n3000", s3, (1, 0, 1), (0, 1, 1, 12), 12,
              "arima(1,0,1)(0,1,1)[12]", "n")]
    for cid, y, order, seas, period, spec, trend in cases:
        with open(f"{out}/{cid}.csv", "w") as f:
            f.write("value\n")
            f.write("\n".join(repr(float(v)) for v in y))
            f.write("\n")
        best, ll = float("inf"), float("nan")
        for _ in range(reps):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t0 = time.process_time()
                res = SARIMAX(y, order=order, seasonal_order=seas, trend=trend).fit(disp=False)
                best = min(best, time.process_time() - t0)
            ll = res.llf
        print(cid, spec, period, best, f"{ll:.6f}")


if __name__ == "__main__":
    main()
