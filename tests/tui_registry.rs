//! The workbench's registry (#34): a screen is one `Screen` and one entry of the list. A
//! screen written here, and added to the list only, gets its tab, go-to key, footer, help
//! section, keys and answers without a line anywhere else in the workbench.

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;
use ratatui::{Frame, Terminal};

use assay_engine::config::Workspace;
use assay_workbench::app::{App, Msg};
use assay_workbench::command::Command;
use assay_workbench::jobs::{Job, Payload};
use assay_workbench::keymap::{Action, Key, Keymap, ScreenKeys};
use assay_workbench::screens::{Entry, Screen, Shared, SCREENS};
use assay_workbench::theme::Theme;

/// A screen of notes: a key adds one, an answer of models is counted.
#[derive(Default)]
struct Notes {
    notes: usize,
    shown: usize,
    models: usize,
}

const NOTES: Entry = Entry {
    keys: ScreenKeys {
        title: "Notes",
        name: "notes",
        about: "notes about the audit",
        keys: &[(Action::Toggle, &["n"], "add_note", "add a note")],
    },
    make: |_| Box::<Notes>::default(),
};

impl Screen for Notes {
    fn keys(&self) -> ScreenKeys {
        NOTES.keys
    }

    fn on_action(&mut self, action: Action, _: &mut Shared, _: &mut Vec<Command>) -> Vec<Job> {
        if action == Action::Toggle {
            self.notes += 1;
        }
        Vec::new()
    }

    fn render(&mut self, f: &mut Frame, area: Rect, _: &Theme, _: &Shared) {
        f.render_widget(Paragraph::new(format!("{} notes", self.notes)), area);
    }

    fn shown(&mut self, _: &mut Shared) -> Vec<Job> {
        self.shown += 1;
        vec![Job::Models]
    }

    fn on_answer(&mut self, _: &Job, payload: &Payload, _: &mut Shared) -> Vec<Job> {
        if let Payload::Models(_) = payload {
            self.models += 1;
        }
        Vec::new()
    }
}

fn app_with_notes() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("assay.toml"), "[workspace]\nname = \"t\"\n").unwrap();
    let ws = Workspace::load(dir.path()).unwrap();
    // The registry's first eight and Notes: the ninth place has a digit key (a tenth
    // screen is reached by Tab or a key of its own in a keymap file).
    let entries: Vec<Entry> = SCREENS.iter().copied().take(8).chain([NOTES]).collect();
    let keys: Vec<ScreenKeys> = entries.iter().map(|e| e.keys).collect();
    let app = App::with_screens(&ws, Keymap::new(&keys), Theme::built_in("mono"), &entries);
    (dir, app)
}

/// Keys as keymap files write them, without modifiers (none of these needs one).
fn key_events(keys: &str) -> Vec<KeyEvent> {
    let key = |k: &str| Key::parse(k).expect("a key").code;
    keys.split_whitespace()
        .map(|k| KeyEvent::new(key(k), KeyModifiers::NONE))
        .collect()
}

fn press(app: &mut App, keys: &str) -> Vec<Command> {
    key_events(keys)
        .into_iter()
        .flat_map(|k| app.update(Msg::Key(k)))
        .collect()
}

fn screen_text(app: &mut App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    terminal
        .draw(|f| assay_workbench::view::draw(f, app))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let (w, h) = (buffer.area.width, buffer.area.height);
    let line = |y| (0..w).map(|x| buffer[(x, y)].symbol()).collect::<String>();
    (0..h)
        .map(|y| line(y).trim_end().to_string() + "\n")
        .collect()
}

#[test]
fn a_screen_added_to_the_list_has_its_tab_keys_footer_help_and_answers() {
    let (_dir, mut app) = app_with_notes();
    let asked = press(&mut app, "9");
    assert_eq!(app.title(), "Notes", "9 goes to the ninth screen");
    assert!(matches!(asked.as_slice(), [Command::Run(Job::Models)]));
    assert_eq!(app.get::<Notes>().shown, 1);
    press(&mut app, "n n");
    let text = screen_text(&mut app);
    assert!(text.lines().next().unwrap().ends_with(" 9 Notes"), "{text}");
    assert!(text.contains("2 notes"), "{text}");
    let footer = text.lines().rev().find(|l| !l.is_empty()).unwrap();
    assert!(footer.contains("n add a note"), "{footer}");
    // `n` is the screen's own key: elsewhere it does nothing.
    press(&mut app, "1 n 9");
    assert_eq!(app.get::<Notes>().notes, 2);
    // Its section in the help, and its go-to key with the others.
    press(&mut app, "?");
    let help: String = (0..20)
        .map(|_| {
            let page = screen_text(&mut app);
            press(&mut app, "pagedown");
            page
        })
        .collect();
    assert!(help.contains("Notes"), "{help}");
    assert!(help.contains("add a note"), "{help}");
    assert!(help.contains("notes about the audit"), "{help}");
    press(&mut app, "esc");
    // Answers reach it; an answer of another kind than its job's reaches no screen.
    app.update(Msg::Done(Job::Models, Ok(Payload::Models(Vec::new()))));
    assert_eq!(app.get::<Notes>().models, 1);
    app.update(Msg::Done(Job::Tables, Ok(Payload::Models(Vec::new()))));
    assert_eq!(app.get::<Notes>().models, 1);
    let (said, error) = app.status().cloned().unwrap();
    assert!(
        error && said.contains("unexpected answer (models)"),
        "{said}"
    );
}

#[test]
fn a_keymap_file_renames_a_new_screen_go_to_key() {
    let (_dir, app) = app_with_notes();
    let file = std::path::Path::new("keymap.toml");
    let map = app
        .keymap
        .clone()
        .with_file("notes = [\"N\"]\n", file)
        .unwrap();
    let shift_n = KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT);
    let at = map.action(
        assay_workbench::keymap::Context::Screen("Sources"),
        &shift_n,
    );
    assert_eq!(at, Some(Action::Go(8)));
}
