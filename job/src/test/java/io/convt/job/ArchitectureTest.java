package io.convt.job;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaConstructorCall;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import io.convt.engine.ConvDataSource;
import io.convt.engine.train.Checkpoint;
import io.convt.engine.train.TrainingOptimizer;

/** The job's package rules, checked on its compiled main classes. */
@AnalyzeClasses(packages = "io.convt.job", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  @ArchTest
  static final ArchRule jobUsesOnlyThePublicEngine = noClasses().that().resideInAPackage("io.convt.job..")
      .should().dependOnClassesThat().resideInAPackage("io.convt.engine.internal..")
      .because("the job runs no numeric loops: it drives the engine through its plan and layer API, never the kernels");

  /**
   * The training loop lives in the engine ({@code io.convt.engine.train.TrainingLoop}): the job hands it a gradient
   * source and stores, and never takes a step itself: no optimizer, no data-source weight update, no checkpoint
   * written or built outside the engine. (The optimizer's settings records may be used: the CLI parses them.)
   */
  @ArchTest
  static final ArchRule onlyTheEngineTakesTrainingSteps = noClasses().that().resideInAPackage("io.convt.job..")
      .should().dependOnClassesThat().haveFullyQualifiedName(TrainingOptimizer.class.getName())
      .orShould().callMethodWhere(DescribedPredicate.describe("a data source's updateWithGradientState",
          (JavaMethodCall c) -> c.getName().equals("updateWithGradientState")
              && c.getTargetOwner().getPackageName().startsWith(ConvDataSource.class.getPackageName())))
      .orShould().callConstructorWhere(DescribedPredicate.describe("a Checkpoint constructor",
          (JavaConstructorCall c) -> c.getTargetOwner().isEquivalentTo(Checkpoint.class)))
      .because("the training loop (steps, optimizer, checkpoints) is the engine's; the job only supplies the "
          + "gradients of a record range and the stores");
}
