# Writes datasets/taylor.csv: forecast::taylor (half-hourly electricity
# demand, England and Wales, Monday 5 June 2000 to Sunday 27 August 2000,
# Taylor 2003) with a time column.  R keeps no clock times, only the start
# date in its help page and msts(48, 336) attributes: 4032 = 84 days x 48
# half-hours.  Stamps mark the start of each half-hour, local (British
# Summer Time, which holds for the whole span).
# Run: Rscript scripts/make_taylor.R > datasets/taylor.csv
suppressMessages(library(forecast))
stopifnot(length(taylor) == 84 * 48, all(attr(taylor, "msts") == c(48, 336)))
t0 <- as.POSIXct("2000-06-05 00:00", tz = "UTC")
stamps <- format(t0 + 1800 * (seq_along(taylor) - 1), "%Y-%m-%d %H:%M", tz = "UTC")
stopifnot(tail(stamps, 1) == "2000-08-27 23:30")
write.csv(data.frame(time = stamps, value = as.numeric(taylor)), stdout(),
          row.names = FALSE, quote = FALSE)
