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
# The long files of the batch example (README.md, docs/batch.md): the
# drivers, front and rear series up to 1983-12 with the petrol price and
# the law as regressors, and their values in 1984 as the future file.
long <- NULL
fut <- NULL
for (s in c("drivers", "front", "rear")) {
    tr <- d$time < "1984-01"
    long <- rbind(long, data.frame(id = s, time = d$time[tr], value = d[[s]][tr],
                                   PetrolPrice = d$PetrolPrice[tr], law = d$law[tr]))
    fut <- rbind(fut, data.frame(id = s, time = d$time[!tr],
                                 PetrolPrice = d$PetrolPrice[!tr], law = d$law[!tr]))
}
write.csv(long, "datasets/seatbelts_long.csv", row.names = FALSE, quote = FALSE)
write.csv(fut, "datasets/seatbelts_future.csv", row.names = FALSE, quote = FALSE)
