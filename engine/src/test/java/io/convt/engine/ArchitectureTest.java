package io.convt.engine;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.Arrays;
import java.util.List;

/**
 * The engine's package rules, checked on the compiled main classes (docs/engine.md, "Architecture"). Layers, top
 * to bottom; each may use only the layers below it:
 * <pre>
 * cli      local commands, demo, plots (picocli, AWT drawing): an application, nothing in the library uses it
 * layer    Layer/LayerSpec: weight files + flags made into a planned kernel
 * train    losses, optimizers, gradient accumulation, the training loop and its checkpoints
 * data     file-backed data sources
 * layout   weight layouts (PyTorch, MPS) and the PyTorch-semantics wrapper
 * api      io.convt.engine: descriptor, plan, ConvTranspose facade, gradients, states, data-source protocol
 * io       file formats (npy, npz, safetensors, Arrow IPC tensors, images)
 * arrow    ImageBatch and the Arrow tensor extension type
 * backend  KernelBackends: the runtime check that chooses the SIMD or the scalar backend
 * kernels  io.convt.engine.internal..: the kernel SPI (ConvProblem, KernelBackend) and both backends
 * </pre>
 */
@AnalyzeClasses(packages = "io.convt.engine", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  private static final String ROOT = "io.convt.engine";

  /** Layer names top to bottom with their packages. */
  private static final List<String[]> LAYERS = List.of(
      new String[] {"cli", ROOT + ".cli.."},
      new String[] {"layer", ROOT + ".layer.."},
      new String[] {"train", ROOT + ".train.."},
      new String[] {"data", ROOT + ".data.."},
      new String[] {"layout", ROOT + ".layout.."},
      new String[] {"api", ROOT},
      new String[] {"io", ROOT + ".io.."},
      new String[] {"arrow", ROOT + ".arrow.."},
      new String[] {"backend", ROOT + ".backend.."},
      new String[] {"kernels", ROOT + ".internal.."});

  @ArchTest
  static final ArchRule layersOnlyPointDown = layers();

  @ArchTest
  static final ArchRule noCyclesBetweenPackages = slices().assignedFrom(new SliceAssignment() {
    @Override
    public SliceIdentifier getIdentifierOf(JavaClass c) {
      return c.getPackageName().startsWith(ROOT) ? SliceIdentifier.of(c.getPackageName()) : SliceIdentifier.ignore();
    }

    @Override
    public String getDescription() {
      return "engine packages";
    }
  }).should().beFreeOfCycles();

  @ArchTest
  static final ArchRule onlySimdUsesTheIncubator = noClasses().that().resideOutsideOfPackage(ROOT + ".internal.simd..")
      .should().dependOnClassesThat().resideInAPackage("jdk.incubator.vector..")
      .because("the incubator module is optional at run time: only the reflectively loaded SIMD backend may link it");

  @ArchTest
  static final ArchRule noSpark = noClasses().should().dependOnClassesThat()
      .resideInAnyPackage("org.apache.spark..", "scala..")
      .because("the engine is pure Java; Spark lives in the job module");

  @ArchTest
  static final ArchRule picocliOnlyInCli = noClasses().that().resideOutsideOfPackage(ROOT + ".cli..")
      .should().dependOnClassesThat().resideInAPackage("picocli..")
      .because("command-line parsing belongs to the local commands");

  @ArchTest
  static final ArchRule awtDrawingOnlyInCli = noClasses().that().resideOutsideOfPackage(ROOT + ".cli..")
      .should().dependOnClassesThat(resideInAnyPackage("java.awt..", "javax.swing..")
          .and(not(resideInAPackage("java.awt.image"))))
      .because("drawing (plots, demo pictures) is application code; image codecs may use java.awt.image");

  @ArchTest
  static final ArchRule imageBuffersOnlyInIoAndCli = noClasses()
      .that().resideOutsideOfPackages(ROOT + ".cli..", ROOT + ".io..")
      .should().dependOnClassesThat().resideInAnyPackage("java.awt.image..", "javax.imageio..")
      .because("only the image codec (io) and the applications (cli) handle pictures");

  @ArchTest
  static final ArchRule nothingInTheLibraryUsesCli = noClasses().that().resideOutsideOfPackage(ROOT + ".cli..")
      .should().dependOnClassesThat().resideInAPackage(ROOT + ".cli..")
      .because("cli is an application on top of the library");

  private static ArchRule layers() {
    LayeredArchitecture arch = layeredArchitecture().consideringOnlyDependenciesInLayers();
    for (String[] l : LAYERS) {
      arch = arch.layer(l[0]).definedBy(l[1]);
    }
    arch = arch.whereLayer(LAYERS.get(0)[0]).mayNotBeAccessedByAnyLayer();
    for (int i = 1; i < LAYERS.size(); i++) {
      String[] above = LAYERS.subList(0, i).stream().map(l -> l[0]).toArray(String[]::new);
      arch = arch.whereLayer(LAYERS.get(i)[0]).mayOnlyBeAccessedByLayers(above);
    }
    return arch.because("layers only point down: " + Arrays.toString(LAYERS.stream().map(l -> l[0]).toArray()));
  }
}
