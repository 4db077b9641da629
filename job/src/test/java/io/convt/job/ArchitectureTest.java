package io.convt.job;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The job's package rules, checked on its compiled main classes. */
@AnalyzeClasses(packages = "io.convt.job", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  @ArchTest
  static final ArchRule jobUsesOnlyThePublicEngine = noClasses().that().resideInAPackage("io.convt.job..")
      .should().dependOnClassesThat().resideInAPackage("io.convt.engine.internal..")
      .because("the job runs no numeric loops: it drives the engine through its plan and layer API, never the kernels");
}
