//! The task type of an imported Task Master task, inferred from its title
//! (and, when the title says nothing, the first sentence of its
//! description) by fixed keyword rules, documented on [`infer_type`].

use crate::state::plan::TaskType;

/// Leading verbs that name the kind of work outright (rule 1).
const SPECIFIC_VERBS: &[(TaskType, &[&str])] = &[
    (
        TaskType::Bugfix,
        &[
            "fix",
            "fixes",
            "fixing",
            "debug",
            "repair",
            "patch",
            "hotfix",
            "troubleshoot",
        ],
    ),
    (TaskType::TestCreation, &["test", "tests", "unittest"]),
    (
        TaskType::Refactoring,
        &[
            "refactor",
            "restructure",
            "reorganize",
            "reorganise",
            "modularize",
            "modularise",
            "simplify",
            "clean",
            "cleanup",
            "tidy",
            "deduplicate",
        ],
    ),
    (TaskType::Documentation, &["document"]),
];

/// Words anywhere in a title, in priority order (rule 2).
const TITLE_WORDS: &[(TaskType, &[&str])] = &[
    (
        TaskType::TestCreation,
        &["test", "tests", "testing", "e2e", "unittest", "unittests"],
    ),
    (
        TaskType::Bugfix,
        &[
            "bug",
            "bugs",
            "bugfix",
            "hotfix",
            "regression",
            "crash",
            "crashes",
        ],
    ),
    (TaskType::Refactoring, &["refactor", "refactoring"]),
    (
        TaskType::Documentation,
        &[
            "documentation",
            "docs",
            "readme",
            "changelog",
            "docstring",
            "docstrings",
        ],
    ),
    (TaskType::Implementation, IMPLEMENTATION_WORDS),
];

/// Words that make a task implementation even after a thinking verb.
const IMPLEMENTATION_WORDS: &[&str] = &[
    "implement",
    "implementing",
    "implementation",
    "build",
    "develop",
];

/// Leading verbs of thinking work (rule 3).
const THINKING_VERBS: &[(TaskType, &[&str])] = &[
    (
        TaskType::Research,
        &[
            "research",
            "investigate",
            "explore",
            "evaluate",
            "spike",
            "survey",
            "compare",
        ],
    ),
    (TaskType::Analysis, &["analyze", "analyse", "assess"]),
    (
        TaskType::Planning,
        &["design", "plan", "architect", "outline", "draft"],
    ),
    (TaskType::Review, &["review", "audit"]),
];

/// Leading title verbs that mean "build something": with one, the title
/// decides alone and the description is not consulted (rule 4).
const GENERIC_VERBS: &[&str] = &[
    "implement",
    "create",
    "add",
    "build",
    "develop",
    "integrate",
    "update",
    "set",
    "setup",
    "configure",
    "initialize",
    "install",
    "define",
    "enhance",
    "extend",
    "write",
    "make",
    "wire",
    "connect",
    "register",
    "generate",
    "support",
    "expose",
    "establish",
    "scaffold",
    "migrate",
    "upgrade",
    "optimize",
    "improve",
    "enable",
    "introduce",
    "convert",
    "replace",
    "remove",
    "move",
    "ensure",
    "finalize",
    "apply",
    "publish",
    "deploy",
    "provision",
    "port",
    "prepare",
    "handle",
    "extract",
    "export",
    "import",
    "select",
    "verify",
    "validate",
    "perform",
    "conduct",
];

/// Returns the task type for a Task Master task with this title and
/// description, by fixed keyword rules.
///
/// Task Master titles are imperative ("Implement …", "Fix …", "Design and
/// implement …"), so the leading word is the strongest signal, then words
/// anywhere in the title. Words are the lowercase ASCII-alphanumeric runs of
/// the text (`README.md` is `readme`, `md`; `end-to-end` is `end`, `to`,
/// `end`). The first rule that matches wins:
///
/// 1. The title starts with a *specific* verb: `fix`, `debug`, `repair`,
///    `patch`, `hotfix`, `troubleshoot` → bugfix; `test`, `tests`,
///    `unittest` → test_creation; `refactor`, `restructure`, `reorganize`, `modularize`,
///    `simplify`, `clean`, `cleanup`, `tidy`, `deduplicate` → refactoring;
///    `document` → documentation.
/// 2. The title contains, checked in this order: `test`, `tests`, `testing`,
///    `e2e`, `unittest(s)` → test_creation; `bug(s)`, `bugfix`, `hotfix`,
///    `regression`, `crash(es)` → bugfix; `refactor(ing)` → refactoring;
///    `documentation`, `docs`, `readme`, `changelog`, `docstring(s)` →
///    documentation; `implement(ing)`, `implementation`, `build`, `develop`
///    → implementation (so "Design and implement …" is implementation).
/// 3. The title starts with a *thinking* verb: `research`, `investigate`,
///    `explore`, `evaluate`, `spike`, `survey`, `compare` → research;
///    `analyze`, `analyse`, `assess` → analysis; `design`, `plan`,
///    `architect`, `outline`, `draft` → planning; `review`, `audit` →
///    review.
/// 4. Unless the title starts with a generic build verb (`implement`,
///    `create`, `add`, `update`, `define`, `configure` and more, listed in
///    `GENERIC_VERBS`), the first sentence of the description goes through
///    rules 1 and 3, with only the implementation words of rule 2 (a
///    description mentions tests and documentation in passing too often
///    for the others to mean anything).
/// 5. Otherwise implementation.
///
/// A thinking verb is checked after the keywords because it is overridden by
/// the work it leads to ("Analyze and refactor …" is refactoring); nouns
/// such as `research` or `document` count only as the leading verb
/// ("Implement the research command" is implementation).
pub fn infer_type(title: &str, description: &str) -> TaskType {
    let title_words = words(title);
    if let Some(task_type) = classify(&title_words, TITLE_WORDS) {
        return task_type;
    }
    let generic = title_words
        .first()
        .is_some_and(|first| GENERIC_VERBS.contains(&first.as_str()));
    if !generic {
        let description_words = words(first_sentence(description));
        if let Some(task_type) = classify(
            &description_words,
            &[(TaskType::Implementation, IMPLEMENTATION_WORDS)],
        ) {
            return task_type;
        }
    }
    TaskType::Implementation
}

/// Rules 1–3 over `words`, with `keywords` as rule 2.
fn classify(words: &[String], keywords: &[(TaskType, &[&str])]) -> Option<TaskType> {
    let first = words.first()?;
    let leading = |table: &[(TaskType, &[&str])]| {
        table
            .iter()
            .find(|(_, verbs)| verbs.contains(&first.as_str()))
            .map(|(task_type, _)| *task_type)
    };
    leading(SPECIFIC_VERBS)
        .or_else(|| {
            keywords
                .iter()
                .find(|(_, list)| words.iter().any(|word| list.contains(&word.as_str())))
                .map(|(task_type, _)| *task_type)
        })
        .or_else(|| leading(THINKING_VERBS))
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Returns the text up to the first sentence end (`. `, `.` at the end, or
/// a line break).
fn first_sentence(text: &str) -> &str {
    let text = text.trim_start();
    let mut end = text.len();
    if let Some(line_end) = text.find('\n') {
        end = end.min(line_end);
    }
    if let Some(stop) = text.find(". ") {
        end = end.min(stop);
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cases: &[(&str, &str, TaskType)]) {
        for (title, description, expected) in cases {
            assert_eq!(
                infer_type(title, description),
                *expected,
                "title {title:?}, description {description:?}"
            );
        }
    }

    #[test]
    fn leading_specific_verbs_win() {
        check(&[
            ("Fix failing tests in the parser", "", TaskType::Bugfix),
            ("Debug and Fix Issues", "", TaskType::Bugfix),
            (
                "Test, Document, and Finalize Modular Structure",
                "",
                TaskType::TestCreation,
            ),
            (
                "Refactor tests to share fixtures",
                "",
                TaskType::Refactoring,
            ),
            ("Document testing requirements", "", TaskType::Documentation),
            ("Clean up the README", "", TaskType::Refactoring),
        ]);
    }

    #[test]
    fn title_keywords_in_priority_order() {
        check(&[
            (
                "Write comprehensive tests for updateTask command",
                "",
                TaskType::TestCreation,
            ),
            ("Perform Regression Testing", "", TaskType::TestCreation),
            (
                "Conduct End-to-End Testing and Accessibility Review",
                "",
                TaskType::TestCreation,
            ),
            ("Handle crash on empty input", "", TaskType::Bugfix),
            ("Analyze and Refactor TUI Model", "", TaskType::Refactoring),
            (
                "Review and update README.md for Marketplace readiness",
                "",
                TaskType::Documentation,
            ),
            (
                "Update CLI documentation and help text",
                "",
                TaskType::Documentation,
            ),
            (
                "Design and Implement Event Page Creation UI",
                "",
                TaskType::Implementation,
            ),
            (
                "Research and implement a cache",
                "",
                TaskType::Implementation,
            ),
        ]);
    }

    #[test]
    fn thinking_verbs_count_only_in_the_lead() {
        check(&[
            (
                "Research Bun compatibility requirements",
                "",
                TaskType::Research,
            ),
            (
                "Investigate serialization mechanism failures",
                "",
                TaskType::Research,
            ),
            (
                "Analyze current CLI argument parsing structure",
                "",
                TaskType::Analysis,
            ),
            (
                "Design Email Template Database Schema",
                "",
                TaskType::Planning,
            ),
            ("Plan the module boundaries", "", TaskType::Planning),
            (
                "Review functionality of all MCP direct functions",
                "",
                TaskType::Review,
            ),
            (
                "Audit current exception handling patterns",
                "",
                TaskType::Review,
            ),
            (
                "Update Research Processing Logic",
                "",
                TaskType::Implementation,
            ),
            ("Implement document upload", "", TaskType::Implementation),
            ("Add a review screen", "", TaskType::Implementation),
        ]);
    }

    #[test]
    fn the_description_speaks_only_when_the_title_does_not() {
        check(&[
            (
                "Dependency Impact Analysis",
                "Analyze task dependencies to find which tasks need syncing. Then test it.",
                TaskType::Analysis,
            ),
            (
                "Processing Pipeline Orchestration",
                "Design and implement the main orchestration layer.",
                TaskType::Implementation,
            ),
            (
                "Microservices Architecture Enhancement",
                "Design scalable microservices architecture improvements",
                TaskType::Planning,
            ),
            (
                "Login form",
                "Fix the validation bug in the login form",
                TaskType::Bugfix,
            ),
            // A generic verb in the title keeps the description out.
            (
                "Create Export Button UI Component",
                "Design the button and wire it up",
                TaskType::Implementation,
            ),
            // Passing mentions of tests or docs in a description mean nothing.
            (
                "CLI foundation",
                "Set up the CLI with help documentation and tests",
                TaskType::Implementation,
            ),
            ("Project setup", "", TaskType::Implementation),
            ("", "", TaskType::Implementation),
        ]);
    }

    #[test]
    fn words_split_on_punctuation_and_ignore_case() {
        assert_eq!(
            words("Update README.md (v2)"),
            ["update", "readme", "md", "v2"]
        );
        assert_eq!(first_sentence("  One. Two"), "One");
        assert_eq!(first_sentence("Line\nnext. x"), "Line");
        assert_eq!(first_sentence("v1.2 is out"), "v1.2 is out");
    }
}
