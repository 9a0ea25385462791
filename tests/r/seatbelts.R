# Exports R's Seatbelts (UK road casualties 1969-1984, monthly; the seat
# belt law of 31 January 1983) to datasets/Seatbelts.csv:
#   Rscript tests/r/seatbelts.R
x <- Seatbelts
tm <- time(x)
yr <- floor(tm + 1e-6)
mo <- round((tm - yr) * 12) + 1
d <- data.frame(time = sprintf("%d-%02d", yr, mo))
for (v in colnames(x)) d[[v]] <- as.numeric(x[, v])
write.csv(d, "datasets/Seatbelts.csv", row.names = FALSE)
