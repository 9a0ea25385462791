# Writes the timestamped real series shipped in datasets/ (see
# docs/file-formats.md, "Shipped series with time stamps"):
#   datasets/airquality_ozone.csv  daily ozone, New York, 1 May - 30 Sep 1973
#       (R's datasets::airquality; the year is from its help page).  The
#       days R records as NA are left out, as an export that drops missing
#       readings writes them: a daily series with gaps.
#   datasets/msft.csv  Microsoft daily close, 27 Sep 2000 - 27 Sep 2001
#       (timeSeries::MSFT, dates as the package stores them): trading days,
#       with the exchange holidays and the 11-14 September 2001 closure
#       absent.
# and prints the facts tests/test_time.c checks (counts of the gaps).
# Run: Rscript scripts/make_time_datasets.R
suppressMessages(library(timeSeries))
aq <- datasets::airquality
d <- as.Date(sprintf("1973-%02d-%02d", aq$Month, aq$Day))
stopifnot(all(diff(d) == 1))
keep <- !is.na(aq$Ozone)
write.csv(data.frame(date = format(d[keep]), ozone = aq$Ozone[keep]),
          "datasets/airquality_ozone.csv", row.names = FALSE, quote = FALSE)
cat("airquality: rows", sum(keep), "missing days", sum(!keep),
    "first missing", format(d[!keep][1]), "\n")
data(MSFT)
md <- as.Date(format(time(MSFT)))
write.csv(data.frame(date = format(md), close = as.numeric(MSFT[, "Close"])),
          "datasets/msft.csv", row.names = FALSE, quote = FALSE)
all_days <- seq(min(md), max(md), by = "day")
wd <- all_days[!(format(all_days, "%u") %in% c("6", "7"))]
stopifnot(all(md %in% wd))
cat("MSFT: rows", length(md), "weekdays in range", length(wd), "missing weekdays",
    length(wd) - length(md), "first missing", format(wd[!(wd %in% md)][1]), "\n")
