//! Tables of battle rooms: rooms, players, drawn questions, answers.

pub mod battle_answer;
pub mod battle_player;
pub mod battle_question;
pub mod battle_room;
