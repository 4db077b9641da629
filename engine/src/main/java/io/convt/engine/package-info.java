/**
 * The MPS-shaped API of convt: {@link io.convt.engine.ConvTransposeDescriptor} (validated at construction),
 * {@link io.convt.engine.ConvTransposePlan} (immutable, thread-safe, runs the passes on the chosen backends) and
 * {@link io.convt.engine.ConvTranspose} (the mutable MPS facade over a plan), the gradient kernels and states, and
 * the data-source protocol. Sits above {@code io}, {@code arrow}, {@code backend} and {@code internal}, below
 * {@code layout}, {@code data}, {@code train}, {@code layer} and {@code cli}; {@code ArchitectureTest} enforces the
 * layering. Comments cite docs/mps-semantics.md as "spec §x.y".
 */
package io.convt.engine;
