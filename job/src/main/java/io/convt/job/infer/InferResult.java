package io.convt.job.infer;

import io.convt.job.JobStatus;
import java.util.Map;
import java.util.Set;

/**
 * What an infer run did.
 *
 * @param recordsIn records read
 * @param recordsOut records written
 * @param recordsQuarantined records in {@code quarantine/}
 * @param quarantinedByReason quarantined records per reason code
 * @param kernels kernel implementations the executors used
 * @param recordsPerSecond records in per second of wall time
 * @param output the committed output's qualified path
 * @param status how it ended (its exit code)
 * @param summary {@code run-summary.json} as written
 */
public record InferResult(long recordsIn, long recordsOut, long recordsQuarantined,
    Map<String, Long> quarantinedByReason, Set<String> kernels, double recordsPerSecond, String output,
    JobStatus status, Map<String, Object> summary) {

  /** The one line the command prints. */
  public String line() {
    return "convt infer: " + recordsIn + " records in, " + recordsOut + " out, " + recordsQuarantined
        + " quarantined " + quarantinedByReason + ", " + recordsPerSecond + " records/s, kernel " + kernels + " -> "
        + output + (status == JobStatus.OK ? "" : " (status " + status.word() + ", exit " + status.exitCode()
        + ", no _SUCCESS)");
  }
}
